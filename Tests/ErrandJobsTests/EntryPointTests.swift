import ErrandCore
import Testing

@testable import ErrandJobs

@Suite struct EntryPointTests {
    static let everything: InterpreterLookup = .fake([
        "/usr/bin/bash", "/usr/bin/python3", "/usr/bin/node", "/usr/bin/php", "/usr/bin/pwsh", "/usr/bin/java",
        "/usr/bin/env", "/bin/sh",
    ])

    func file(_ path: String, x: Bool = false, _ head: String = "") -> PackageFile {
        PackageFile(path: path, isExecutable: x, text: head)
    }

    /// Which file wins, in the documented order.
    @Test(arguments: [
        (["a.py", "run.js", "run.py", "run.sh"], "run.sh"),
        (["a.sh", "run.py"], "run.py"),
        (["zz.sh", "run.php", "run.ps1"], "run.php"),
        (["b.py", "run.ps1"], "run.ps1"),
        (["a.sh", "run*"], "run"),
        (["a.sh", "run"], "a.sh"),
        (["b.py", "c.py", "a.js"], "b.py"),
        (["worker.js", "tool.php"], "worker.js"),
        (["z.ps1", "a.jar"], "z.ps1"),
        (["lib.jar", "run.jar"], "run.jar"),
        (["lib.jar", "README.md"], "lib.jar"),
        (["RUN.SH", "a.py"], "RUN.SH"),
        (["sub/run.sh", "b.py"], "b.py"),
    ])
    func order(names: [String], expected: String) throws {
        let files = names.map { $0.hasSuffix("*") ? file(String($0.dropLast()), x: true) : file($0) }
        #expect(try EntryPoint.choose(files: files).script == expected)
    }

    /// A package of one file with a `#!` line runs it, whatever its name (Kudu's single-file upload: `Übung.cmd`).
    @Test func aLoneFileWithAShebangRuns() throws {
        #expect(try EntryPoint.choose(files: [file("Übung.cmd", x: true, "#!/bin/sh\necho")]).argv == ["/bin/sh", "Übung.cmd"])
        #expect(
            try EntryPoint.choose(files: [file("tool.exe", "#!/usr/bin/env python3\n")]).argv == ["/usr/bin/env", "python3", "tool.exe"])
        // Without a #! line, or beside other top-level files, it is not guessed at.
        #expect(throws: DeployError.self) { try EntryPoint.choose(files: [file("Übung.cmd", x: true, "@echo off\r\n")]) }
        #expect(throws: DeployError.self) { try EntryPoint.choose(files: [file("a.cmd", "#!/bin/sh"), file("b.txt")]) }
    }

    @Test(arguments: [
        ("run.sh", "", ["bash", "run.sh"]),
        ("run.py", "", ["python3", "run.py"]),
        ("run.js", "", ["node", "run.js"]),
        ("run.php", "<?php", ["php", "run.php"]),
        ("run.ps1", "", ["pwsh", "-NoLogo", "-NoProfile", "-NonInteractive", "-File", "run.ps1"]),
        ("app.jar", "PK\u{3}\u{4}", ["java", "-jar", "app.jar"]),
        ("run.py", "#!/usr/bin/env python3\nprint(1)", ["/usr/bin/env", "python3", "run.py"]),
        ("run.sh", "#!/bin/sh -eu\r\necho", ["/bin/sh", "-eu", "run.sh"]),
        ("run.js", "#!/usr/bin/env -S node --no-warnings\n", ["/usr/bin/env", "-S node --no-warnings", "run.js"]),
        ("run.sh", "#!   /usr/bin/bash   \n", ["/usr/bin/bash", "run.sh"]),
    ])
    func commands(name: String, head: String, argv: [String]) throws {
        let entry = try EntryPoint.detect(files: [file(name, head)], lookup: Self.everything)
        #expect(entry.argv == argv)
    }

    @Test func executableWithoutExtensionRunsItself() throws {
        let entry = try EntryPoint.choose(files: [file("run", x: true, "\u{7F}ELF")])
        #expect(entry.argv == ["./run"])
        #expect(entry.host == .executable)
        #expect(entry.requires.isEmpty)
        #expect(entry.command(arguments: ["a b", "'c'", "$HOME"]) == ["./run", "a b", "'c'", "$HOME"])
    }

    @Test func shebangWinsOverExtension() throws {
        let entry = try EntryPoint.choose(files: [file("run.sh", "#!/usr/bin/python3\n")])
        #expect(entry.argv == ["/usr/bin/python3", "run.sh"])
        #expect(entry.host == .shebang)
        #expect(entry.requires == ["/usr/bin/python3"])
    }

    @Test func entryPointSettingChoosesAnyFile() throws {
        let files = [file("run.sh"), file("bin/worker.py"), file("tool", x: true)]
        #expect(try EntryPoint.choose(files: files, entryPoint: "bin/worker.py").argv == ["python3", "bin/worker.py"])
        #expect(try EntryPoint.choose(files: files, entryPoint: "./tool").argv == ["./tool"])
    }

    @Test(arguments: [
        ([] as [String], nil as String?, "no runnable file found"),
        (["README.md", "data.json"], nil, "top-level files: README.md, data.json"),
        (["sub/run.sh"], nil, "has no files at its top level"),
        (["run.sh"], "missing.py", "names \"missing.py\", which is not a file in the package"),
        (["run.sh", "notes.txt"], "notes.txt", "is not executable, has no #! line"),
    ])
    func nothingToRun(names: [String], setting: String?, message: String) {
        #expect {
            try EntryPoint.choose(files: names.map { file($0) }, entryPoint: setting)
        } throws: { error in
            guard let error = error as? DeployError else { return false }
            return error.code == .noEntryPoint && error.message.contains(message)
        }
    }

    @Test(arguments: [
        ("run.py", "", "needs python3", "python3"),
        ("run.js", "", "needs node", "nodejs"),
        ("app.jar", "", "needs java", "default-jre-headless"),
        ("run.sh", "#!/opt/custom/bin/interp\n", "needs /opt/custom/bin/interp", "#! line"),
        ("run.py", "#!/usr/bin/env python2\n", "needs python2", "#! line"),
    ])
    func missingInterpreter(name: String, head: String, message: String, hint: String) {
        let lookup = InterpreterLookup.fake(["/usr/bin/bash", "/usr/bin/env"])
        #expect {
            try EntryPoint.detect(files: [file(name, head)], lookup: lookup)
        } throws: { error in
            guard let error = error as? DeployError else { return false }
            return error.code == .missingInterpreter && error.message.contains(message) && error.message.contains(hint)
        }
    }

    @Test func lookupSearchesPathInOrder() {
        let lookup = InterpreterLookup(path: "/opt/a:relative:/opt/b") { $0 == "/opt/b/tool" || $0 == "/opt/a/x" }
        #expect(lookup.resolve("tool") == "/opt/b/tool")
        #expect(lookup.resolve("x") == "/opt/a/x")
        #expect(lookup.resolve("/opt/b/tool") == "/opt/b/tool")
        #expect(lookup.resolve("missing") == nil)
        #expect(InterpreterLookup.system().resolve("sh") != nil)
    }

    @Test(arguments: [
        ("#!/bin/bash", "/bin/bash", nil as String?),
        ("#!/usr/bin/env python3 -u\n", "/usr/bin/env", "python3 -u"),
        ("#!\n", nil, nil),
        ("echo", nil, nil),
        ("\u{FEFF}#!/bin/sh", nil, nil),
    ])
    func shebangs(head: String, interpreter: String?, argument: String?) {
        let shebang = Shebang(head: Array(head.utf8))
        #expect(shebang?.interpreter == interpreter)
        #expect(shebang?.argument == argument)
    }
}
