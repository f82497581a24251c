/** What `iptables-save` shows of one table's chains named `<prefix>…` and of the jumps into them. */
export interface ObservedTable {
  chains: string[];
  /** `BUILTIN>CHAIN` → how many rules of the built-in chain jump (unconditionally) to our chain. */
  hooks: Record<string, number>;
}

/** Pure: reads one table (`nat`, `filter`) of `iptables-save` output. */
export function parseTableSave(text: string, table: string, prefix: string): ObservedTable {
  const chains: string[] = [];
  const hooks: Record<string, number> = {};
  let inTable = false;
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line.startsWith('*')) inTable = line === `*${table}`;
    if (!inTable) continue;
    if (line.startsWith(':')) {
      const name = line.slice(1).split(' ')[0] ?? '';
      if (name.startsWith(prefix)) chains.push(name);
      continue;
    }
    const hook = /^-A (\S+) -j (\S+)$/.exec(line);
    if (hook && hook[2]!.startsWith(prefix) && !hook[1]!.startsWith(prefix)) {
      const key = `${hook[1]}>${hook[2]}`;
      hooks[key] = (hooks[key] ?? 0) + 1;
    }
  }
  return { chains, hooks };
}
