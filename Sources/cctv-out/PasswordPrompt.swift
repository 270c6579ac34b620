import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Reads a password without it ever being a command-line argument (visible in `ps`): on a
/// terminal it asks twice with echo off; otherwise it reads the first line of standard input
/// (`printf '%s\n' "$PASSWORD" | cctv-out users add …`).
enum PasswordPrompt {
    static func read(for name: String) throws -> String {
        guard isatty(STDIN_FILENO) == 1 else {
            guard let line = readLine(strippingNewline: true), !line.isEmpty else {
                throw CLIError("no password on standard input: type it on a terminal, or pipe one line")
            }
            return line
        }
        let first = try ask("Password for \(name): ")
        let second = try ask("Again: ")
        guard first == second else { throw CLIError("the two passwords differ; nothing was changed") }
        return first
    }

    private static func ask(_ prompt: String) throws -> String {
        FileHandle.standardError.write(Data(prompt.utf8))
        var saved = termios()
        tcgetattr(STDIN_FILENO, &saved)
        var silent = saved
        silent.c_lflag &= ~tcflag_t(ECHO)
        tcsetattr(STDIN_FILENO, TCSAFLUSH, &silent)
        defer {
            tcsetattr(STDIN_FILENO, TCSAFLUSH, &saved)
            FileHandle.standardError.write(Data("\n".utf8))
        }
        guard let line = readLine(strippingNewline: true) else { throw CLIError("no password entered") }
        return line
    }
}
