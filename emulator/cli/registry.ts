/** A CLI command beyond the core ones (backup, restore, scenario): argv after the name -> exit code. The composition root lists them. */
export type CliCommand = (argv: string[]) => Promise<number>;
