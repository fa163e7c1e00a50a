#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

// A minimal dispatch until the full command line lands: only `sign` and `verify` exist.
// TODO: fold sign and verify into the full command set of the hookwire CLI.

let commandLineArguments = Array(CommandLine.arguments.dropFirst())
let subcommandUsage = "usage: hookwire sign|verify [OPTIONS] [FILE]; run 'hookwire sign --help' for details\n"

switch commandLineArguments.first {
case "sign":
    exit(runSignCommand(Array(commandLineArguments.dropFirst())))
case "verify":
    exit(runVerifyCommand(Array(commandLineArguments.dropFirst())))
default:
    _ = subcommandUsage.withCString { write(STDERR_FILENO, $0, strlen($0)) }
    exit(2)
}
