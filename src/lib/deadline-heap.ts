// A keyed min-heap of deadlines: each key has at most one pending deadline, and setting it again
// replaces the old one in O(log n). The VRRP runtime keeps one of these for every instance
// instead of one timer per instance (DESIGN.md seam 1: "the runtime owns one timer queue").

interface Entry<K> {
  key: K;
  at: number;
  seq: number;
}

export class DeadlineHeap<K> {
  private readonly heap: Entry<K>[] = [];
  private readonly index = new Map<K, number>();
  private seq = 0;

  get size(): number {
    return this.heap.length;
  }

  /** Sets (or moves) the deadline of `key` to `at`. */
  set(key: K, at: number): void {
    const i = this.index.get(key);
    if (i === undefined) {
      this.heap.push({ key, at, seq: this.seq++ });
      this.index.set(key, this.heap.length - 1);
      this.up(this.heap.length - 1);
      return;
    }
    const e = this.heap[i];
    const old = e.at;
    e.at = at;
    e.seq = this.seq++;
    if (at < old) this.up(i);
    else this.down(i);
  }

  delete(key: K): boolean {
    const i = this.index.get(key);
    if (i === undefined) return false;
    this.removeAt(i);
    return true;
  }

  has(key: K): boolean {
    return this.index.has(key);
  }

  get(key: K): number | undefined {
    const i = this.index.get(key);
    return i === undefined ? undefined : this.heap[i].at;
  }

  /** Earliest deadline, or undefined when empty. */
  peek(): { key: K; at: number } | undefined {
    const e = this.heap[0];
    return e ? { key: e.key, at: e.at } : undefined;
  }

  /** Removes and returns every entry due at or before `now`, earliest first (ties: set order). */
  popDue(now: number): { key: K; at: number }[] {
    const out: { key: K; at: number }[] = [];
    while (this.heap.length > 0 && this.heap[0].at <= now) {
      const e = this.heap[0];
      this.removeAt(0);
      out.push({ key: e.key, at: e.at });
    }
    return out;
  }

  private less(a: Entry<K>, b: Entry<K>): boolean {
    return a.at < b.at || (a.at === b.at && a.seq < b.seq);
  }

  private swap(i: number, j: number): void {
    const h = this.heap;
    [h[i], h[j]] = [h[j], h[i]];
    this.index.set(h[i].key, i);
    this.index.set(h[j].key, j);
  }

  private up(i: number): void {
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!this.less(this.heap[i], this.heap[p])) return;
      this.swap(i, p);
      i = p;
    }
  }

  private down(i: number): void {
    const n = this.heap.length;
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let m = i;
      if (l < n && this.less(this.heap[l], this.heap[m])) m = l;
      if (r < n && this.less(this.heap[r], this.heap[m])) m = r;
      if (m === i) return;
      this.swap(i, m);
      i = m;
    }
  }

  private removeAt(i: number): void {
    const last = this.heap.length - 1;
    const key = this.heap[i].key;
    if (i !== last) this.swap(i, last);
    this.heap.pop();
    this.index.delete(key);
    if (i < this.heap.length) {
      this.up(i);
      this.down(i);
    }
  }
}
