/** The controller as a library: the command line, and what the demo, the benchmark and the tests use of it. */
export { EXIT_CHANGES, EXIT_ERROR, EXIT_OK, EXIT_UNRESOLVED, exitCode } from './cli/exit-codes.js';
export type { CliIo } from './cli/io.js';
export { runCli } from './cli/run-cli.js';
export { runPass } from './commands/pass.js';
export type { PortsFactory } from './commands/ports.js';
export { schemaText } from './commands/schema.js';
export { execApiVersion } from './commands/token.js';
export { summarize } from './commands/validate.js';
export { loadConfigFile } from './config-file.js';
export { renderReport } from './report.js';
