import Foundation

// hookwire: the command-line client of hookwired. `CommandLineTool` contains the commands, and
// this file only runs it and exits with its status.

let status = await CommandLineTool.run(
    arguments: Array(CommandLine.arguments.dropFirst()), environment: ProcessInfo.processInfo.environment)
exit(status)
