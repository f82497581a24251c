/** Start and end markers of the generated-checked table in docs/docker-to-flotilla.md. */
export const TABLE_START = '<!-- commands:';
export const TABLE_END = '<!-- /commands -->';

/**
 * The flotilla commands a docs table names (pure): between the markers, the first
 * `` `flotilla …` `` code span of each row's second cell, its words up to the first flag or
 * placeholder. Throws when the markers are missing, so a rewrite cannot silently drop the check.
 */
export function tableCommands(markdown: string): string[] {
  const start = markdown.indexOf(TABLE_START);
  const end = markdown.indexOf(TABLE_END);
  if (start < 0 || end < start) throw new Error(`the command table's markers (${TABLE_START} … ${TABLE_END}) are missing`);
  const commands: string[] = [];
  for (const line of markdown.slice(start, end).split('\n')) {
    if (!line.startsWith('|') || /^\|\s*-+\s*\|/.test(line)) continue;
    const cell = line.split('|')[2] ?? '';
    const span = /`flotilla ([^`]*)`/.exec(cell);
    if (!span) continue;
    const words: string[] = [];
    for (const w of span[1]!.split(/\s+/)) {
      if (!/^[a-z][a-z-]*$/.test(w)) break;
      words.push(w);
    }
    commands.push(words.join(' '));
  }
  return commands;
}
