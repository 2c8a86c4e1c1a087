// The signature format lives in the SDK, which receivers install on its own; the server signs with the same code.
export { defaultSignatureToleranceSeconds, signatureHeader, signBatonRequest, timestampHeader, verifyBatonSignature } from '../sdk/request-signature.ts';
