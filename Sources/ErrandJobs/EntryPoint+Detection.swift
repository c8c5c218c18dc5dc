/// Choosing the entry point of a package: the `entry_point` setting, else `run.*`, else the first file by
/// extension, else a `.jar`, else the package's only file when it has a `#!` line; a `#!` line wins over the
/// extension.
extension EntryPoint {
    /// The extensions Errand knows, in detection order, with the interpreter argv for each.
    public static let interpreters: [(fileExtension: String, argv: [String])] = [
        (".sh", ["bash"]),
        (".py", ["python3"]),
        (".js", ["node"]),
        (".php", ["php"]),
        (".ps1", ["pwsh", "-NoLogo", "-NoProfile", "-NonInteractive", "-File"]),
    ]

    /// Where to get a missing program on Debian, for the error message.
    static let packageHints: [String: String] = [
        "bash": "bash", "python3": "python3", "node": "nodejs", "php": "php-cli", "java": "default-jre-headless",
        "pwsh": "PowerShell (see Microsoft's packages for Linux)",
    ]

    /// Picks the file to run and how, without touching the machine. `files` lists the package's regular files;
    /// automatic detection looks at top-level files only (as Kudu), in name order so the choice never depends on
    /// the file system's listing order; `entryPoint` (the setting) may name a file in a subfolder.
    public static func choose(files: [PackageFile], entryPoint: String? = nil) throws(DeployError) -> EntryPoint {
        if let entryPoint {
            let wanted = entryPoint.hasPrefix("./") ? String(entryPoint.dropFirst(2)) : entryPoint
            guard let file = files.first(where: { $0.path == wanted }) else {
                throw DeployError(
                    .noEntryPoint,
                    "the entry_point setting names \"\(entryPoint)\", which is not a file in the package\(listing(files))")
            }
            return try command(for: file, explicit: true)
        }
        let top = files.filter(\.isTopLevel).sorted { $0.name.utf8.lexicographicallyPrecedes($1.name.utf8) }
        func named(_ name: String) -> PackageFile? { top.first { $0.name.lowercased() == name } }
        for (fileExtension, _) in interpreters {
            if let file = named("run" + fileExtension) { return try command(for: file, explicit: false) }
        }
        if let file = top.first(where: { $0.name == "run" && $0.isExecutable }) {
            return try command(for: file, explicit: false)
        }
        for (fileExtension, _) in interpreters {
            if let file = top.first(where: { $0.fileExtension == fileExtension }) {
                return try command(for: file, explicit: false)
            }
        }
        if let jar = named("run.jar") ?? top.first(where: { $0.fileExtension == ".jar" }) {
            return try command(for: jar, explicit: false)
        }
        // A package of one file (Kudu's single-file upload: `Übung.cmd`) runs it when its #! line says how.
        if top.count == 1, let only = top.first, Shebang(head: only.head) != nil {
            return try command(for: only, explicit: false)
        }
        throw DeployError(
            .noEntryPoint,
            "no runnable file found: add run.sh, run.py, run.js, run.php, run.ps1, an executable named run, "
                + "or a .sh .py .js .php .ps1 or .jar file at the top of the package, or name the file with the "
                + "entry_point setting\(listing(files))")
    }

    /// `choose`, then checks that every program the command needs is installed, so a missing interpreter is a
    /// deploy error rather than a failed first run.
    public static func detect(
        files: [PackageFile], entryPoint: String? = nil, lookup: InterpreterLookup
    ) throws(DeployError) -> EntryPoint {
        let chosen = try choose(files: files, entryPoint: entryPoint)
        try chosen.checkInstalled(lookup: lookup)
        return chosen
    }

    /// Throws `missingInterpreter` naming the first program in `requires` that `lookup` cannot find.
    public func checkInstalled(lookup: InterpreterLookup) throws(DeployError) {
        for program in requires where lookup.resolve(program) == nil {
            let name = program.split(separator: "/").last.map(String.init) ?? program
            let hint = Self.packageHints[name].map { " (Debian package: \($0))" } ?? ""
            let where_ = program.contains("/") ? "" : " in PATH \(lookup.path)"
            throw DeployError(
                .missingInterpreter,
                "\(script) needs \(program), which is not installed on this host (not found\(where_)); "
                    + "install it\(hint) or name another interpreter in the script's #! line")
        }
    }

    static func command(for file: PackageFile, explicit: Bool) throws(DeployError) -> EntryPoint {
        let script = file.path
        if let shebang = Shebang(head: file.head) {
            return EntryPoint(script: script, host: .shebang, argv: shebang.argv + [script], requires: shebang.programs)
        }
        if let match = interpreters.first(where: { $0.fileExtension == file.fileExtension }) {
            return EntryPoint(script: script, host: .interpreter, argv: match.argv + [script], requires: [match.argv[0]])
        }
        if file.fileExtension == ".jar" {
            return EntryPoint(script: script, host: .java, argv: ["java", "-jar", script], requires: ["java"])
        }
        guard file.isExecutable else {
            let how = explicit ? "the entry_point setting names \"\(script)\", which" : "\"\(script)\""
            throw DeployError(
                .noEntryPoint,
                "\(how) is not executable, has no #! line and no known extension (.sh .py .js .php .ps1 .jar); "
                    + "set its execute bit (chmod +x, kept in zips made on Linux or macOS) or add a #! line")
        }
        return EntryPoint(script: script, host: .executable, argv: ["./" + script], requires: [])
    }

    private static func listing(_ files: [PackageFile]) -> String {
        let names = files.filter(\.isTopLevel).map(\.name).sorted()
        if names.isEmpty { return " (the package has no files at its top level)" }
        let shown = names.prefix(10).joined(separator: ", ")
        return " (top-level files: \(shown)\(names.count > 10 ? ", …" : ""))"
    }
}
