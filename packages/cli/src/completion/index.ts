export { commandTree, flattenCommands } from './tree.js';
export type { CommandNode, OptionNode } from './tree.js';
export { completionScript, SHELLS } from './scripts.js';
export type { Shell } from './scripts.js';
