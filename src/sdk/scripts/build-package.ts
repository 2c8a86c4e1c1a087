// Builds the @baton/sdk package into dist/: ESM JavaScript and .d.ts with JSDoc. The API types are
// generated from the domain's zod schemas (api-types.ts names them) and compiled in place of
// api-types.ts, so nothing in dist imports zod or a file outside the package.
import { rmSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

const packageDir = path.resolve(fileURLToPath(import.meta.url), '../..');
const outDir = path.join(packageDir, 'dist');
const typesFile = path.join(packageDir, 'api-types.ts');

function fail(diagnostics: readonly ts.Diagnostic[]): never {
  const host: ts.FormatDiagnosticsHost = { getCanonicalFileName: (name) => name, getCurrentDirectory: () => packageDir, getNewLine: () => '\n' };
  process.stderr.write(ts.formatDiagnosticsWithColorAndContext(diagnostics, host));
  process.exit(1);
}

/** Reads api-types.ts with the repository's settings and prints each type it exports, expanded. */
function generateApiTypes(): string {
  const program = ts.createProgram([typesFile], {
    target: ts.ScriptTarget.ES2023, module: ts.ModuleKind.NodeNext, moduleResolution: ts.ModuleResolutionKind.NodeNext,
    strict: true, noEmit: true, allowImportingTsExtensions: true, skipLibCheck: true, types: ['node'],
  });
  const errors = ts.getPreEmitDiagnostics(program);
  if (errors.length > 0) fail(errors);
  const checker = program.getTypeChecker();
  const moduleSymbol = checker.getSymbolAtLocation(program.getSourceFile(typesFile)!)!;
  const printer = new TypePrinter(checker);
  const parts: string[] = [];
  for (const exported of checker.getExportsOfModule(moduleSymbol)) {
    const symbol = exported.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(exported) : exported;
    const declaration = symbol.declarations?.find((node) => ts.isTypeAliasDeclaration(node) || ts.isInterfaceDeclaration(node));
    if (!declaration) throw new Error(`api-types.ts exports ${exported.name}, which is not a type alias or an interface`);
    if (declaration.typeParameters) {
      // A generic shape (no zod in it) is copied as declared; the compile below fails if it needs anything else.
      parts.push(`${declaration.getFullText().trimStart()}\n`);
      continue;
    }
    const doc = printer.doc(symbol) || printer.doc(schemaSymbol(checker, declaration));
    parts.push(`${doc ? `/** ${doc.replaceAll('\n', '\n * ')} */\n` : ''}export type ${exported.name} = ${printer.print(checker.getDeclaredTypeOfSymbol(symbol), '')};\n`);
  }
  return parts.join('\n');
}

/** The schema of `z.infer<typeof schema>` (or `Partial<z.output<typeof schema>>`), whose JSDoc describes the type. */
function schemaSymbol(checker: ts.TypeChecker, declaration: ts.Declaration): ts.Symbol | undefined {
  let found: ts.Symbol | undefined;
  const visit = (node: ts.Node): void => {
    if (ts.isTypeQueryNode(node)) found ??= checker.getSymbolAtLocation(node.exprName);
    else node.forEachChild(visit);
  };
  visit(declaration);
  return found;
}

const nothing = ts.TypeFlags.Null | ts.TypeFlags.Undefined;

/** Prints a type structurally, keeping each property's JSDoc; what it does not take apart it leaves to typeToString. */
class TypePrinter {
  private readonly checker: ts.TypeChecker;
  private readonly printing = new Set<ts.Type>();
  constructor(checker: ts.TypeChecker) {
    this.checker = checker;
  }

  doc(symbol: ts.Symbol | undefined): string {
    return symbol ? ts.displayPartsToString(symbol.getDocumentationComment(this.checker)).trim() : '';
  }

  print(type: ts.Type, indent: string): string {
    const { checker } = this;
    if (type.flags & ts.TypeFlags.Boolean || !(type.flags & (ts.TypeFlags.Union | ts.TypeFlags.Intersection | ts.TypeFlags.Object))) return this.plain(type);
    // A recursive type would never end: name it instead (the compile then fails loudly).
    if (this.printing.has(type)) return this.plain(type);
    this.printing.add(type);
    try {
      if (type.isUnion()) {
        const members = type.types.filter((member) => !(member.flags & ts.TypeFlags.BooleanLiteral));
        const printed = members.filter((member) => !(member.flags & nothing)).map((member) => this.print(member, indent));
        if (members.length < type.types.length) printed.push('boolean');
        // `| null | undefined` last, as people write it.
        printed.push(...members.filter((member) => member.flags & nothing).map((member) => this.plain(member)).sort().reverse());
        return printed.join(' | ');
      }
      if (type.isIntersection()) return type.types.map((member) => this.print(member, indent)).join(' & ');
      if (checker.isArrayType(type)) {
        const [element] = checker.getTypeArguments(type as ts.TypeReference);
        const printed = this.print(element!, indent);
        return element!.flags & (ts.TypeFlags.Union | ts.TypeFlags.Intersection) ? `(${printed})[]` : `${printed}[]`;
      }
      if (checker.isTupleType(type) || type.getCallSignatures().length > 0 || type.getConstructSignatures().length > 0) return this.plain(type);
      const inner = `${indent}  `;
      const lines: string[] = [];
      for (const info of checker.getIndexInfosOfType(type)) {
        lines.push(`${inner}${info.isReadonly ? 'readonly ' : ''}[key: ${this.plain(info.keyType)}]: ${this.print(info.type, inner)};`);
      }
      for (const property of checker.getPropertiesOfType(type)) {
        const doc = this.doc(property);
        if (doc) lines.push(`${inner}/** ${doc.replaceAll('\n', `\n${inner} * `)} */`);
        const optional = property.flags & ts.SymbolFlags.Optional ? '?' : '';
        const name = /^[A-Za-z_$][\w$]*$/.test(property.name) ? property.name : `'${property.name}'`;
        lines.push(`${inner}${name}${optional}: ${this.print(checker.getTypeOfSymbol(property), inner)};`);
      }
      return lines.length === 0 ? '{}' : `{\n${lines.join('\n')}\n${indent}}`;
    } finally {
      this.printing.delete(type);
    }
  }

  private plain(type: ts.Type): string {
    return this.checker.typeToString(type, undefined, ts.TypeFormatFlags.NoTruncation | ts.TypeFormatFlags.UseSingleQuotesForStringLiteralType);
  }
}

const generatedNote = '// Generated by scripts/build-package.ts from the zod schemas the Baton API validates with.';

/** Compiles the package from index.ts, reading the generated types for api-types.ts. */
function compile(apiTypes: string): void {
  const options: ts.CompilerOptions = {
    target: ts.ScriptTarget.ES2022, lib: ['lib.es2023.d.ts'], types: ['node'],
    module: ts.ModuleKind.NodeNext, moduleResolution: ts.ModuleResolutionKind.NodeNext,
    strict: true, noUncheckedIndexedAccess: true, verbatimModuleSyntax: true, erasableSyntaxOnly: true, skipLibCheck: true,
    rewriteRelativeImportExtensions: true, declaration: true, rootDir: packageDir, outDir, newLine: ts.NewLineKind.LineFeed,
  };
  const host = ts.createCompilerHost(options);
  const readSource = host.getSourceFile.bind(host);
  host.getSourceFile = (fileName, language, ...rest) =>
    path.resolve(fileName) === typesFile ? ts.createSourceFile(fileName, apiTypes, language) : readSource(fileName, language, ...rest);
  const program = ts.createProgram([path.join(packageDir, 'index.ts')], options, host);
  const outside = program.getSourceFiles().filter((file) => !file.isDeclarationFile && !path.resolve(file.fileName).startsWith(packageDir + path.sep));
  if (outside.length > 0) throw new Error(`The SDK imports files outside ${packageDir}: ${outside.map((file) => file.fileName).join(', ')}`);
  // tsc rewrites `./x.ts` to `./x.js` in JavaScript only; the .d.ts get .js too, which every TypeScript version resolves.
  const result = program.emit(undefined, (fileName, text, ...rest) => {
    let written = fileName.endsWith('.d.ts') ? text.replace(/^((?:import|export)\b.* from '\.{1,2}\/[^']+)\.ts';$/gm, "$1.js';") : text;
    if (path.basename(fileName) === 'api-types.d.ts') written = `${generatedNote}\n${written}`;
    host.writeFile(fileName, written, ...rest);
  });
  const diagnostics = [...ts.getPreEmitDiagnostics(program), ...result.diagnostics];
  if (diagnostics.length > 0 || result.emitSkipped) fail(diagnostics);
}

rmSync(outDir, { recursive: true, force: true });
compile(generateApiTypes());
