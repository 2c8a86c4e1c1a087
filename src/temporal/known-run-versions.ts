/**
 * Run versions this process knows the read model holds (it wrote them, or a write of them found a
 * newer row), so reading the same run again does not write it again. Bounded: the least recently
 * written runs are forgotten first, and forgetting only costs one more no-op write.
 */
export class KnownRunVersions {
  private readonly versions = new Map<string, number>();
  private readonly capacity: number;

  constructor(capacity: number) {
    this.capacity = capacity;
  }

  holds(runId: string, version: number): boolean {
    return (this.versions.get(runId) ?? -1) >= version;
  }

  add(runId: string, version: number): void {
    if (this.holds(runId, version)) return;
    this.versions.delete(runId);
    this.versions.set(runId, version);
    if (this.versions.size > this.capacity) this.versions.delete(this.versions.keys().next().value!);
  }
}
