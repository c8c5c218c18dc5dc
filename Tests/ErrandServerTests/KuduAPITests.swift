import ErrandCore
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Testing
import ZIPFoundation

@testable import ErrandServer

@Suite("Kudu formats")
struct KuduFormatTests {
    /// The splitting rule of docs/kudu.md ("Arguments"): every string is accepted, nothing is lost.
    @Test(
        "arguments are split into words by Errand's rule, and every string is accepted",
        arguments: [
            // Blanks.
            ("", []),
            ("   ", []),
            ("a b  c", ["a", "b", "c"]),
            (" lead trail ", ["lead", "trail"]),
            ("tab\tand\nnewline\r\nend", ["tab", "and", "newline", "end"]),
            // Double quotes group, anywhere in a word.
            (#"one "two three" four"#, ["one", "two three", "four"]),
            (#"--name="John Smith" x"#, ["--name=John Smith", "x"]),
            (#"con"cat"enated"#, ["concatenated"]),
            (#"it's "O'Brien's""#, ["it's", "O'Brien's"]),
            // Single quotes group a whole word.
            (#"'four "five"' six"#, [#"four "five""#, "six"]),
            (#"'C:\temp\in' 'a  b'"#, [#"C:\temp\in"#, "a  b"]),
            ("'it''s' x", ["it''s", "x"]),
            // Unbalanced quotes are ordinary characters.
            ("O'Brien", ["O'Brien"]),
            ("O'Brien and O'Hara", ["O'Brien", "and", "O'Hara"]),
            ("'open", ["'open"]),
            ("don't 'stop", ["don't", "'stop"]),
            (#"5" floppy"#, [#"5""#, "floppy"]),
            (#""open"#, [#""open"#]),
            (#"a "b c"#, ["a", #""b"#, "c"]),
            ("'a'b", ["'a'b"]),
            // Backslashes arrive as written, except right before a double quote.
            (#"C:\temp\in"#, [#"C:\temp\in"#]),
            (#"\d+\.\d+ ^\s*$ a\\b"#, [#"\d+\.\d+"#, #"^\s*$"#, #"a\\b"#]),
            (#"trailing\"#, [#"trailing\"#]),
            (#"\\server\share"#, [#"\\server\share"#]),
            (#"six\ seven"#, [#"six\"#, "seven"]),
            (#"say \"hi\""#, ["say", #""hi""#]),
            (#""a \"quoted\" word""#, [#"a "quoted" word"#]),
            (#""C:\temp\\" next"#, [#"C:\temp\"#, "next"]),
            (#""C:\temp\" next"#, [#""C:\temp""#, "next"]),
            (#""keep\n\t""#, [#"keep\n\t"#]),
            // Empty words.
            ("'' \"\" x", ["", "", "x"]),
            (#""" a '' "#, ["", "a", ""]),
            // Nothing is expanded; operators are characters.
            (#"$HOME `id` $(id) *.txt ~ ~/x"#, ["$HOME", "`id`", "$(id)", "*.txt", "~", "~/x"]),
            ("a;b | c && d > e", ["a;b", "|", "c", "&&", "d", ">", "e"]),
            // Unicode.
            ("héllo wörld 😀", ["héllo", "wörld", "😀"]),
            ("\"Zoë Ångström\" 'naïve café' 日本語", ["Zoë Ångström", "naïve café", "日本語"]),
            ("e\u{301} \u{A0}x", ["e\u{301}", "\u{A0}x"]),
        ] as [(String, [String])])
    func split(text: String, words: [String]) {
        #expect(CommandLineWords.split(text) == words)
    }

    @Test(
        "file names as clients send them: RFC 5987 (wins), RFC 2047 as .NET writes it, raw UTF-8",
        arguments: [
            ("attachment; filename=run.sh", "run.sh"),
            (#"attachment; filename="=?utf-8?B?w5xidW5nLnNo?=""#, "Übung.sh"),
            ("attachment; filename==?utf-8?B?w5xidW5nLnNo?=", "Übung.sh"),
            (#"attachment; filename="=?UTF-8?Q?r=C3=A9sum=C3=A9_1.sh?=""#, "résumé 1.sh"),
            (#"attachment; filename="=?utf-8?B?R3LDvA==?= =?utf-8?B?w59lLmNtZA==?=""#, "Grüße.cmd"),
            ("attachment; filename*=UTF-8''%C3%9Cbung.sh", "Übung.sh"),
            (#"attachment; filename="fallback.sh"; filename*=utf-8''r%C3%A9sum%C3%A9.cmd"#, "résumé.cmd"),
            ("attachment; FILENAME*=iso-8859-1'fr'%E9t%E9.sh", "été.sh"),
            ("attachment; filename=\"Grüße.cmd\"", "Grüße.cmd"),
            (#"attachment; filename="=?utf-8?B?Li4vZXZpbC5zaA==?=""#, "evil.sh"),
            ("attachment; filename*=UTF-8''%ZZ.sh; filename=plain.sh", "plain.sh"),
            ("attachment; filename*=koi8-r''%C1.sh; filename=plain.sh", "plain.sh"),
            (#"attachment; filename="=?utf-8?X?abc?=""#, "=?utf-8?X?abc?="),
            ("attachment; filename*=UTF-8''..", nil),
            ("attachment", nil),
        ] as [(String, String?)])
    func contentDispositionNames(header: String, name: String?) {
        #expect(PackageUpload.fileName(fromContentDisposition: header) == name)
    }

    @Test("run states in Kudu's words")
    func statuses() {
        let expected: [RunState: String] = [
            .notStarted: "Initializing", .running: "Running", .stopping: "Running", .blocked: "Running",
            .disconnected: "Running", .completed: "Success", .failed: "Failed", .stopped: "Stopped",
            .pendingRestart: "PendingRestart", .inactiveInstance: "InactiveInstance",
        ]
        for state in RunState.allCases { #expect(Kudu.status(of: state) == expected[state], "\(state)") }
    }

    @Test(
        "durations as .NET TimeSpan strings",
        arguments: [
            (0, "00:00:00"), (1, "00:00:01"), (59.806, "00:00:59.8060000"), (3_600, "01:00:00"),
            (86_399.5, "23:59:59.5000000"), (90_061.25, "1.01:01:01.2500000"), (-1.5, "-00:00:01.5000000"),
            (0.0000001, "00:00:00.0000001"),
        ] as [(Double, String)])
    func timeSpan(seconds: Double, text: String) {
        #expect(Kudu.timeSpan(seconds: seconds) == text)
    }

    @Test("a run's duration runs to now until it ends, and is null without a start")
    func duration() {
        let start = Date(timeIntervalSince1970: 1_000)
        #expect(Kudu.duration(start: start, end: start.addingTimeInterval(2.5), now: start) == "00:00:02.5000000")
        #expect(Kudu.duration(start: start, end: nil, now: start.addingTimeInterval(61)) == "00:01:01")
        #expect(Kudu.duration(start: nil, end: nil, now: start) == nil)
    }

    @Test("times as Newtonsoft writes a UTC DateTime; no end is default(DateTime)")
    func dateTimes() {
        #expect(Kudu.dateTime(nil) == "0001-01-01T00:00:00")
        #expect(Kudu.dateTime(Date(timeIntervalSince1970: 1_463_694_578.193)) == "2016-05-19T21:49:38.193Z")
        #expect(Kudu.dateTime(Date(timeIntervalSince1970: 1_463_694_578)) == "2016-05-19T21:49:38Z")
        #expect(Kudu.dateTime(Date(timeIntervalSince1970: 1_463_694_578.5)) == "2016-05-19T21:49:38.5Z")
        #expect(Kudu.dateTime(Date(timeIntervalSince1970: -0.25)) == "1969-12-31T23:59:59.75Z")
    }

    @Test("triggers in Kudu's words")
    func triggers() {
        #expect(Kudu.trigger(kind: .api, detail: "api curl/8.5.0") == "External - curl/8.5.0")
        #expect(Kudu.trigger(kind: .api, detail: "api ") == "External - ")
        #expect(Kudu.trigger(kind: .schedule, detail: "schedule 0 */5 * * * *") == "Schedule - 0 */5 * * * *")
        #expect(Kudu.trigger(kind: .retry, detail: "retry 1 of run 12") == "Retry - retry 1 of run 12")
        #expect(Kudu.trigger(kind: .manual, detail: nil) == "Manual")
    }

    @Test("query values decode + as a space, as ASP.NET does")
    func queryValues() {
        #expect(Kudu.queryValue("arguments", in: "arguments=a+b%20c%2Bd") == "a b c+d")
        #expect(Kudu.queryValue("arguments", in: "x=1&arguments=%27q%27") == "'q'")
        #expect(Kudu.queryValue("arguments", in: "arguments") == "")
        #expect(Kudu.queryValue("arguments", in: "other=1") == nil)
        #expect(Kudu.queryValue("arguments", in: nil) == nil)
    }

    @Test("ETags: equal bodies, equal tags; If-None-Match lists, weak tags and *")
    func etags() {
        let tag = Kudu.etag(of: Array("body".utf8))
        #expect(tag == Kudu.etag(of: Array("body".utf8)))
        #expect(tag != Kudu.etag(of: Array("bodY".utf8)))
        #expect(tag.hasPrefix("\"") && tag.hasSuffix("\""))
        #expect(Kudu.matches(ifNoneMatch: tag, etag: tag))
        #expect(Kudu.matches(ifNoneMatch: "\"other\", W/\(tag)", etag: tag))
        #expect(Kudu.matches(ifNoneMatch: "*", etag: tag))
        #expect(!Kudu.matches(ifNoneMatch: "\"other\"", etag: tag))
        #expect(!Kudu.matches(ifNoneMatch: nil, etag: tag))
    }

    @Test("the Swagger document names one run operation per triggered job, as Kudu's")
    func swagger() throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        let text = String(decoding: try encoder.encode(KuduSwagger(jobs: ["nightly"], scheme: "http", host: "h:1")), as: UTF8.self)
        #expect(
            text == #"{"host":"h:1","info":{"title":"WebJobs","version":"v1"},"paths":{"/api/triggeredjobs/nightly/run":{"post":"#
                + #"{"consumes":[],"deprecated":false,"operationId":"nightly","parameters":[{"description":"Web Job Arguments","#
                + #""in":"query","name":"arguments","required":false,"type":"string"}],"produces":[],"responses":{"200":"#
                + #"{"description":"Success"},"default":{"description":"Success"}}}}},"schemes":["http"],"swagger":"2.0"}"#)
    }

    @Test("run_command is the entry point's script")
    func runCommand() {
        #expect(KuduJob.script(of: ["/bin/sh", "run.sh"]) == "run.sh")
        #expect(KuduJob.script(of: ["./run"]) == "run")
        #expect(KuduJob.script(of: ["java", "-jar", "app.jar"]) == "app.jar")
        #expect(KuduJob.script(of: ["/bin/sh", "run.sh"], under: "myjob") == "myjob/run.sh")
        #expect(KuduJob.script(of: ["./run"], under: "a/b") == "a/b/run")
        #expect(KuduJob.script(of: ["bash", "run.sh"], under: "") == "run.sh")
    }
}

@Suite("Kudu-compatible API", .timeLimit(.minutes(2)))
struct KuduAPITests {
    typealias Object = [String: Any]

    /// A zip of `files` (name → content; `.sh` files executable), as a user would upload it.
    static func zip(_ files: [String: String]) throws -> ByteBuffer {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("kudu-zip-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let archive = try Archive(data: Data(), accessMode: .create)
        for (name, text) in files.sorted(by: { $0.key < $1.key }) {
            let url = folder.appendingPathComponent(name)
            try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
            try Data(text.utf8).write(to: url)
            if name.hasSuffix(".sh") { chmod(url.path, 0o755) }
            try archive.addEntry(with: name, relativeTo: folder, compressionMethod: .deflate)
        }
        return ByteBuffer(bytes: try #require(archive.data))
    }

    static let zipHeaders: HTTPFields = [.contentType: "application/zip", .contentDisposition: "attachment; filename=job.zip"]

    static func object(_ response: TestResponse) throws -> Object {
        try #require(JSONSerialization.jsonObject(with: Data(response.body.readableBytesView)) as? Object)
    }

    static func array(_ response: TestResponse) throws -> [Object] {
        try #require(JSONSerialization.jsonObject(with: Data(response.body.readableBytesView)) as? [Object])
    }

    /// The path of an absolute URL the API gave (the test client speaks to `http://localhost`).
    static func path(_ url: String) throws -> String {
        #expect(url.hasPrefix("http://localhost/"), "\(url)")
        return String(url.dropFirst("http://localhost".count))
    }

    /// Polls `uri` (a JSON object) until `done` holds, for up to `seconds`.
    static func poll(
        _ client: any TestClientProtocol, _ uri: String, seconds: Double = 20, until done: @escaping (Object) -> Bool
    ) async throws -> Object {
        let deadline = Date().addingTimeInterval(seconds)
        while true {
            let object = try await client.execute(uri: uri, method: .get) { try Self.object($0) }
            if done(object) || Date() > deadline { return object }
            try await Task.sleep(for: .milliseconds(100))
        }
    }

    static let echoScript = """
        #!/bin/sh
        for word in "$@"; do printf '[%s]\\n' "$word"; done
        printf 'raw=%s\\n' "$WEBJOBS_COMMAND_ARGUMENTS"
        """

    @Test("deploy a zip, run it with quoted arguments, follow Location to Success, read the output")
    func triggeredRun() async throws {
        try await APITests().withAPI { client in
            let deployed = try await client.execute(
                uri: "/api/triggeredwebjobs/echo", method: .put, headers: Self.zipHeaders,
                body: try Self.zip(["run.sh": Self.echoScript])
            ) { response in
                #expect(response.status == .ok)
                return try Self.object(response)
            }
            #expect(
                Set(deployed.keys)
                    == [
                        "name", "run_command", "url", "extra_info_url", "type", "error", "using_sdk", "settings", "latest_run",
                        "history_url", "scheduler_logs_url",
                    ])
            #expect(deployed["name"] as? String == "echo")
            #expect(deployed["run_command"] as? String == "run.sh")
            #expect(deployed["type"] as? String == "triggered")
            #expect(deployed["url"] as? String == "http://localhost/api/triggeredwebjobs/echo")
            #expect(deployed["history_url"] as? String == "http://localhost/api/triggeredwebjobs/echo/history")
            #expect(deployed["latest_run"] is NSNull)
            #expect(deployed["error"] is NSNull)
            #expect(deployed["using_sdk"] as? Bool == false)

            let raw = #"one "two three" 'four "five"' C:\temp\in O'Brien ^\d+$ """#
            let query = raw.addingPercentEncoding(withAllowedCharacters: .alphanumerics)!
            let location = try await client.execute(
                uri: "/api/triggeredwebjobs/echo/run?arguments=\(query)", method: .post, headers: [.userAgent: "kudu-test/1.0"]
            ) { response in
                #expect(response.status == .accepted)
                #expect(response.body.readableBytes == 0)
                return try #require(response.headers[.location])
            }
            #expect(location.hasPrefix("http://localhost/api/triggeredwebjobs/echo/history/"))
            let run = try await Self.poll(client, try Self.path(location)) { ($0["status"] as? String) == "Success" }
            #expect(run["status"] as? String == "Success")
            #expect(
                Set(run.keys)
                    == [
                        "id", "name", "status", "start_time", "end_time", "duration", "output_url", "error_url", "url", "job_name",
                        "trigger",
                    ])
            #expect(run["id"] as? String == location.split(separator: "/").last.map(String.init))
            #expect(run["name"] as? String == run["id"] as? String)
            #expect(run["url"] as? String == location)
            #expect(run["job_name"] as? String == "echo")
            #expect(run["trigger"] as? String == "External - kudu-test/1.0")
            #expect(run["error_url"] is NSNull)
            #expect((run["start_time"] as? String)?.hasSuffix("Z") == true)
            #expect((run["end_time"] as? String)?.hasSuffix("Z") == true)
            #expect((run["duration"] as? String)?.wholeMatch(of: /\d\d:\d\d:\d\d(\.\d{7})?/) != nil)

            let output = try await client.execute(uri: try Self.path(try #require(run["output_url"] as? String)), method: .get) {
                String(buffer: $0.body)
            }
            #expect(output == #"[one]\#n[two three]\#n[four "five"]\#n[C:\temp\in]\#n[O'Brien]\#n[^\d+$]\#n[]\#nraw="# + raw + "\n")

            let (history, etag) = try await client.execute(uri: "/api/triggeredwebjobs/echo/history", method: .get) { response in
                (try Self.object(response), response.headers[.eTag])
            }
            let runs = try #require(history["runs"] as? [Object])
            #expect(runs.count == 1)
            #expect(runs.first?["id"] as? String == run["id"] as? String)
            let tag = try #require(etag)
            try await client.execute(
                uri: "/api/triggeredwebjobs/echo/history", method: .get, headers: [.ifNoneMatch: tag]
            ) { response in
                #expect(response.status == .notModified)
                #expect(response.body.readableBytes == 0)
            }
            let job = try await client.execute(uri: "/api/triggeredwebjobs/echo", method: .get) { try Self.object($0) }
            #expect((job["latest_run"] as? Object)?["status"] as? String == "Success")
        }
    }

    @Test("arguments sent as curl -G --data-urlencode sends them (+ for spaces)")
    func plusArguments() async throws {
        try await APITests().withAPI { client in
            try await client.execute(
                uri: "/api/triggeredwebjobs/echo", method: .put, headers: Self.zipHeaders, body: try Self.zip(["run.sh": Self.echoScript])
            ) { #expect($0.status == .ok) }
            let location = try await client.execute(uri: "/api/triggeredwebjobs/echo/run?arguments=a+%22b+c%22", method: .post) {
                try #require($0.headers[.location])
            }
            let run = try await Self.poll(client, try Self.path(location)) { ($0["status"] as? String) == "Success" }
            let output = try await client.execute(uri: try Self.path(try #require(run["output_url"] as? String)), method: .get) {
                String(buffer: $0.body)
            }
            #expect(output == "[a]\n[b c]\nraw=a \"b c\"\n")
            // An unbalanced quote is an ordinary character, not a 400 (Kudu refuses no arguments).
            let second = try await client.execute(uri: "/api/triggeredwebjobs/echo/run?arguments=O%27Brien+%22open", method: .post) {
                #expect($0.status == .accepted)
                return try #require($0.headers[.location])
            }
            let done = try await Self.poll(client, try Self.path(second)) { ($0["status"] as? String) == "Success" }
            let log = try await client.execute(uri: try Self.path(try #require(done["output_url"] as? String)), method: .get) {
                String(buffer: $0.body)
            }
            #expect(log == "[O'Brien]\n[\"open]\nraw=O'Brien \"open\n")
        }
    }

    @Test("404 for no job, 409 with Kudu's message while a run is going, DELETE always 200")
    func statusCodes() async throws {
        try await APITests().withAPI { client in
            try await client.execute(uri: "/api/triggeredwebjobs/nothing/run", method: .post) { response in
                #expect(response.status == .notFound)
                #expect(response.headers[.contentType]?.hasPrefix("text/plain") == true)
            }
            for uri in ["/api/triggeredwebjobs/nothing", "/api/triggeredwebjobs/nothing/history", "/api/continuouswebjobs/nothing"] {
                try await client.execute(uri: uri, method: .get) { #expect($0.status == .notFound, "\(uri)") }
            }
            try await client.execute(
                uri: "/api/triggeredwebjobs/slow", method: .put, headers: Self.zipHeaders,
                body: try Self.zip(["run.sh": "#!/bin/sh\nsleep 30\n"])
            ) { #expect($0.status == .ok) }
            let location = try await client.execute(uri: "/api/triggeredwebjobs/slow/run", method: .post) { response in
                #expect(response.status == .accepted)
                return try #require(response.headers[.location])
            }
            try await client.execute(uri: "/api/triggeredwebjobs/slow/run", method: .post) { response in
                #expect(response.status == .conflict)
                #expect(String(buffer: response.body) == "Cannot start a new run since job is already running.")
            }
            let run = try await Self.poll(client, try Self.path(location)) { ($0["status"] as? String) == "Running" }
            #expect(run["status"] as? String == "Running")
            #expect(run["end_time"] as? String == "0001-01-01T00:00:00")
            try await client.execute(uri: "/api/triggeredwebjobs/slow/history/999999", method: .get) { #expect($0.status == .notFound) }
            try await client.execute(uri: "/api/triggeredwebjobs/slow/history/abc", method: .get) { #expect($0.status == .notFound) }
            try await client.execute(uri: "/api/triggeredwebjobs/slow", method: .delete) { #expect($0.status == .ok) }
            try await client.execute(uri: "/api/triggeredwebjobs/slow", method: .delete) { #expect($0.status == .ok) }
            try await client.execute(uri: "/api/triggeredwebjobs/slow", method: .get) { #expect($0.status == .notFound) }
        }
    }

    @Test("uploads: Content-Disposition is required; a single file is a job; a bad package is a plain-text 400")
    func uploads() async throws {
        try await APITests().withAPI { client in
            try await client.execute(
                uri: "/api/triggeredwebjobs/x", method: .put, headers: [.contentType: "application/zip"],
                body: try Self.zip(["run.sh": "#!/bin/sh\necho hi\n"])
            ) { response in
                #expect(response.status == .badRequest)
                #expect(String(buffer: response.body) == "Missing Content-Disposition header.")
            }
            let single = try await client.execute(
                uri: "/api/triggeredwebjobs/single", method: .put,
                headers: [.contentType: "application/octet-stream", .contentDisposition: "attachment; filename=\"../hello.sh\""],
                body: ByteBuffer(string: "#!/bin/sh\necho hello\n")
            ) { response in
                #expect(response.status == .ok)
                return try Self.object(response)
            }
            #expect(single["run_command"] as? String == "hello.sh")
            try await client.execute(
                uri: "/api/triggeredwebjobs/empty", method: .put, headers: Self.zipHeaders, body: try Self.zip(["readme.txt": "nothing"])
            ) { response in
                #expect(response.status == .badRequest)
                #expect(response.headers[.contentType]?.hasPrefix("text/plain") == true)
                #expect(!String(buffer: response.body).isEmpty)
            }
            try await client.execute(uri: "/api/triggeredwebjobs/empty", method: .get) { #expect($0.status == .notFound) }
        }
    }

    @Test("a single .sh or .cmd with accents in its name deploys, named as the .NET client names it")
    func accentedFileNames() async throws {
        try await APITests().withAPI { client in
            let uploads: [(job: String, disposition: String, name: String)] = [
                ("dotnet", #"attachment; filename="=?utf-8?B?w5xidW5nLnNo?=""#, "Übung.sh"),
                ("star", "attachment; filename*=UTF-8''Gr%C3%BC%C3%9Fe.cmd", "Grüße.cmd"),
            ]
            for upload in uploads {
                let job = try await client.execute(
                    uri: "/api/triggeredwebjobs/\(upload.job)", method: .put,
                    headers: [.contentType: "application/octet-stream", .contentDisposition: upload.disposition],
                    body: ByteBuffer(string: "#!/bin/sh\necho \"I am $0\"\n")
                ) { response in
                    #expect(response.status == .ok, "\(String(buffer: response.body))")
                    return try Self.object(response)
                }
                #expect(job["run_command"] as? String == upload.name)
                let location = try await client.execute(uri: "/api/triggeredwebjobs/\(upload.job)/run", method: .post) {
                    try #require($0.headers[.location])
                }
                let run = try await Self.poll(client, try Self.path(location)) { ($0["status"] as? String) == "Success" }
                let output = try await client.execute(uri: try Self.path(try #require(run["output_url"] as? String)), method: .get) {
                    String(buffer: $0.body)
                }
                #expect(output.hasSuffix("\(upload.name)\n"), "\(output)")
            }
        }
    }

    @Test("a name Errand does not allow is a plain-text 400 before the body is read")
    func badName() async throws {
        try await APITests().withAPI { client in
            try await client.execute(
                uri: "/api/triggeredwebjobs/Xyz.WebJob", method: .put, headers: Self.zipHeaders,
                body: try Self.zip(["run.sh": "#!/bin/sh\n"])
            ) { response in
                #expect(response.status == .badRequest)
                #expect(String(buffer: response.body).contains("job name"))
            }
        }
    }

    @Test("schedule ticks are 'Schedule - <expr>'; overlap queue accepts a second run as Initializing")
    func scheduleAndQueue() async throws {
        try await APITests().withAPI { client in
            try await client.execute(
                uri: "/api/triggeredwebjobs/tick", method: .put, headers: Self.zipHeaders,
                body: try Self.zip(["run.sh": "#!/bin/sh\necho tick\n", "settings.job": #"{"schedule": "* * * * * *"}"#])
            ) { #expect($0.status == .ok) }
            let job = try await Self.poll(client, "/api/triggeredwebjobs/tick", seconds: 10) { $0["latest_run"] is Object }
            #expect((job["latest_run"] as? Object)?["trigger"] as? String == "Schedule - * * * * * *")
            #expect((job["settings"] as? Object)?["schedule"] as? String == "* * * * * *")

            try await client.execute(
                uri: "/api/triggeredwebjobs/queued", method: .put, headers: Self.zipHeaders,
                body: try Self.zip(["run.sh": "#!/bin/sh\nsleep 30\n", "settings.job": #"{"overlap": "queue"}"#])
            ) { #expect($0.status == .ok) }
            for _ in 0..<2 {
                try await client.execute(uri: "/api/triggeredwebjobs/queued/run", method: .post) { #expect($0.status == .accepted) }
            }
            let history = try await client.execute(uri: "/api/triggeredwebjobs/queued/history", method: .get) { try Self.object($0) }
            let runs = try #require(history["runs"] as? [Object])
            #expect(runs.count == 2)
            #expect(runs.first?["status"] as? String == "Initializing")
            #expect(runs.first?["end_time"] as? String == "0001-01-01T00:00:00")
            try await client.execute(uri: "/api/triggeredwebjobs/queued", method: .delete) { #expect($0.status == .ok) }
        }
    }

    @Test("URLs follow the Host a proxy was asked for")
    func forwardedURLs() async throws {
        try await APITests().withAPI { client in
            let job = try await client.execute(
                uri: "/api/triggeredwebjobs/proxied", method: .put,
                headers: [
                    .contentType: "application/zip", .contentDisposition: "attachment; filename=job.zip",
                    HTTPField.Name("X-Forwarded-Proto")!: "https", HTTPField.Name("X-Forwarded-Host")!: "jobs.example.com",
                ],
                body: try Self.zip(["run.sh": "#!/bin/sh\n"])
            ) { try Self.object($0) }
            #expect(job["url"] as? String == "https://jobs.example.com/api/triggeredwebjobs/proxied")
        }
    }

    @Test("settings round trip; a bad value is a 400")
    func settings() async throws {
        try await APITests().withAPI { client in
            try await client.execute(
                uri: "/api/triggeredwebjobs/conf", method: .put, headers: Self.zipHeaders,
                body: try Self.zip(["run.sh": "#!/bin/sh\necho hi\n"])
            ) { #expect($0.status == .ok) }
            let initial = try await client.execute(uri: "/api/triggeredwebjobs/conf/settings", method: .get) { response in
                #expect(response.status == .ok)
                return try Self.object(response)
            }
            #expect(initial.isEmpty)
            try await client.execute(
                uri: "/api/triggeredwebjobs/conf/settings", method: .put,
                body: ByteBuffer(string: #"{"stopping_wait_time": 10, "mine": "kept"}"#)
            ) { response in
                #expect(response.status == .ok)
                #expect(response.body.readableBytes == 0)
            }
            let settings = try await client.execute(uri: "/api/triggeredwebjobs/conf/settings", method: .get) { try Self.object($0) }
            #expect(settings["stopping_wait_time"] as? Int == 10)
            #expect(settings["mine"] as? String == "kept")
            let job = try await client.execute(uri: "/api/triggeredwebjobs/conf", method: .get) { try Self.object($0) }
            #expect((job["settings"] as? Object)?["stopping_wait_time"] as? Int == 10)
            try await client.execute(
                uri: "/api/triggeredwebjobs/conf/settings", method: .put, body: ByteBuffer(string: #"{"overlap": "sometimes"}"#)
            ) { response in
                #expect(response.status == .badRequest)
                #expect(String(buffer: response.body).contains("overlap"))
            }
            try await client.execute(uri: "/api/continuouswebjobs/conf/settings", method: .get) { #expect($0.status == .notFound) }
            try await client.execute(uri: "/api/triggeredwebjobs/nothing/settings", method: .put, body: ByteBuffer(string: "{}")) {
                #expect($0.status == .notFound)
            }
        }
    }

    @Test("continuous jobs: fields, stop and start, lists by type, aliases")
    func continuous() async throws {
        try await APITests().withAPI { client in
            let deployed = try await client.execute(
                uri: "/api/continuouswebjobs/ticker", method: .put, headers: Self.zipHeaders,
                body: try Self.zip(["run.sh": "#!/bin/sh\nwhile true; do echo tick; sleep 0.2; done\n"])
            ) { response in
                #expect(response.status == .ok)
                return try Self.object(response)
            }
            #expect(
                Set(deployed.keys)
                    == [
                        "name", "run_command", "url", "extra_info_url", "type", "error", "using_sdk", "settings", "status",
                        "detailed_status", "log_url",
                    ])
            #expect(deployed["type"] as? String == "continuous")
            let running = try await Self.poll(client, "/api/continuouswebjobs/ticker") { ($0["status"] as? String) == "Running" }
            #expect(running["status"] as? String == "Running")
            #expect(running["detailed_status"] as? String == "api-test - Running\r\n")
            let log = try Self.path(try #require(running["log_url"] as? String))
            var ticks = ""
            for _ in 0..<100 where !ticks.hasPrefix("tick\n") {
                ticks = try await client.execute(uri: log, method: .get) { String(buffer: $0.body) }
                try await Task.sleep(for: .milliseconds(100))
            }
            #expect(ticks.hasPrefix("tick\n"))
            try await client.execute(uri: "/api/continuouswebjobs/ticker/stop", method: .post) { response in
                #expect(response.status == .ok)
                #expect(response.body.readableBytes == 0)
            }
            let stopped = try await client.execute(uri: "/api/continuouswebjobs/ticker", method: .get) { try Self.object($0) }
            #expect(stopped["status"] as? String == "Stopped")
            try await client.execute(uri: "/api/continuouswebjobs/ticker/start", method: .post) { #expect($0.status == .ok) }
            let restarted = try await Self.poll(client, "/api/continuouswebjobs/ticker") { ($0["status"] as? String) == "Running" }
            #expect(restarted["status"] as? String == "Running")

            try await client.execute(
                uri: "/api/triggeredwebjobs/once", method: .put, headers: Self.zipHeaders, body: try Self.zip(["run.sh": "#!/bin/sh\n"])
            ) { #expect($0.status == .ok) }
            let all = try await client.execute(uri: "/api/webjobs", method: .get) { response in
                #expect(response.headers[.eTag] != nil)
                return try Self.array(response)
            }
            #expect(all.map { $0["name"] as? String } == ["once", "ticker"])
            #expect(all.map { $0["type"] as? String } == ["triggered", "continuous"])
            #expect(try await client.execute(uri: "/api/triggeredwebjobs", method: .get) { try Self.array($0) }.count == 1)
            #expect(try await client.execute(uri: "/api/continuouswebjobs", method: .get) { try Self.array($0) }.count == 1)
            try await client.execute(uri: "/api/triggeredwebjobs/ticker", method: .get) { #expect($0.status == .notFound) }
            try await client.execute(uri: "/api/triggeredwebjobs/ticker/run", method: .post) { #expect($0.status == .notFound) }
            try await client.execute(uri: "/api/triggeredwebjobs/ticker", method: .delete) { #expect($0.status == .ok) }
            try await client.execute(uri: "/api/continuouswebjobs/ticker", method: .get) { #expect($0.status == .ok) }
            for alias in [
                "/api/continuousjobs/ticker", "/api/jobs/continuous/ticker", "/api/triggeredjobs/once", "/api/jobs/triggered/once",
            ] {
                try await client.execute(uri: alias, method: .get) { #expect($0.status == .ok, "\(alias)") }
            }
            #expect(try await client.execute(uri: "/api/jobs", method: .get) { try Self.array($0) }.count == 2)
            let swagger = try await client.execute(uri: "/api/triggeredwebjobsswagger", method: .get) { try Self.object($0) }
            #expect((swagger["paths"] as? Object).map { Array($0.keys) } == ["/api/triggeredjobs/once/run"])
            #expect(swagger["host"] as? String == "localhost")
            try await client.execute(uri: "/api/continuouswebjobs/ticker", method: .delete) { #expect($0.status == .ok) }
            try await client.execute(uri: "/api/continuouswebjobs/ticker", method: .get) { #expect($0.status == .notFound) }
        }
    }
}
