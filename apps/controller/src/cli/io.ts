/** Where the command line prints: one call per line, for humans (stdout) and for problems (stderr). */
export interface CliIo {
  readonly stdout: (line: string) => void;
  readonly stderr: (line: string) => void;
}
