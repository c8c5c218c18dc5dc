/// A `#!` line, read with the kernel's rules: the interpreter, then at most one argument (the rest of the line,
/// spaces included), so a script runs the same whether Errand or the kernel starts it.
///
/// Two lenient choices: a trailing `\r` (a script saved on Windows) is dropped, which the kernel would not do
/// ("python3\r: not found" is a classic), and the line may be longer than the kernel's 255 bytes up to `head`.
public struct Shebang: Sendable, Hashable {
    /// As written: usually absolute (`/bin/bash`, `/usr/bin/env`).
    public var interpreter: String
    /// The optional single argument (`python3`, `-S node --harmony`).
    public var argument: String?

    public init(interpreter: String, argument: String? = nil) {
        self.interpreter = interpreter
        self.argument = argument
    }

    /// The `#!` line at the start of `head`, or `nil` when there is none (or it names nothing).
    public init?(head: [UInt8]) {
        guard head.starts(with: [0x23, 0x21]) else { return nil }
        var line = head.dropFirst(2).prefix { $0 != 0x0A }
        if line.last == 0x0D { line = line.dropLast() }
        guard let text = String(validating: line, as: UTF8.self) else { return nil }
        let trimmed = text.drop { $0 == " " || $0 == "\t" }
        guard let end = trimmed.firstIndex(where: { $0 == " " || $0 == "\t" }) else {
            guard !trimmed.isEmpty else { return nil }
            self.init(interpreter: String(trimmed))
            return
        }
        let rest = trimmed[end...].trimmingSpaces
        self.init(interpreter: String(trimmed[..<end]), argument: rest.isEmpty ? nil : rest)
    }

    /// The argv prefix: interpreter and argument.
    public var argv: [String] { [interpreter] + (argument.map { [$0] } ?? []) }

    /// The program that must be installed: the interpreter, or for `/usr/bin/env` the command it looks up
    /// (`python3` in `#!/usr/bin/env python3`, `node` in `#!/usr/bin/env -S node --flag`).
    public var programs: [String] {
        guard interpreter.split(separator: "/").last == "env", let argument else { return [interpreter] }
        let words = argument.split(whereSeparator: { $0 == " " || $0 == "\t" }).map(String.init)
        let command = words.first { !$0.hasPrefix("-") && !$0.contains("=") }
        return [interpreter] + (command.map { [$0] } ?? [])
    }
}

extension Substring {
    fileprivate var trimmingSpaces: String {
        String(drop { $0 == " " || $0 == "\t" }.reversed().drop { $0 == " " || $0 == "\t" }.reversed())
    }
}
