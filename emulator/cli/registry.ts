/** CLI commands beyond the core ones (backup, restore, ...): name -> handler returning the exit code. */
export const cliCommands = new Map<string, (argv: string[]) => Promise<number>>();
