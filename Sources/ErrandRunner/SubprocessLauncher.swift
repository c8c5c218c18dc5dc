import ErrandCore
import Foundation
import Subprocess
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

#if canImport(System)
    import System
#else
    import SystemPackage
#endif

/// Runs local child processes with swift-subprocess (pidfd + epoll on Linux; no fork from the
/// daemon's own code, no polling `waitUntilExit`). Each run leads a new session, so its process
/// group holds everything it starts.
public struct SubprocessLauncher: ProcessLauncher {
    public init() {}

    public func run(
        _ spec: LaunchSpec,
        started: @Sendable (any LaunchedWork) async -> Void,
        output: @escaping @Sendable (OutputChannel, [UInt8]) async -> Void
    ) async throws(LaunchError) -> ExitStatus {
        var options = PlatformOptions()
        options.createSession = true
        let configuration = Configuration(
            executable: .path(FilePath(spec.executablePath)),
            arguments: Arguments(executablePathOverride: spec.argv0, remainingValues: spec.arguments),
            environment: .custom(
                Dictionary(
                    uniqueKeysWithValues: spec.environment.compactMap { key, value in
                        Environment.Key(rawValue: key).map { ($0, value) }
                    })),
            workingDirectory: spec.workingDirectory.map { FilePath($0) },
            platformOptions: options
        )
        let gate = SpawnGate.shared
        await gate.enter()
        let passed = Atomic(false)
        let leave = { if !passed.exchange(true, ordering: .relaxed) { gate.leave() } }
        guard SpawnGate.descriptorsFree() else {
            leave()
            throw LaunchError("could not start \(spec.argv0): \(Self.descriptorShortage())")
        }
        defer { leave() }
        do {
            let result = try await Subprocess.run(configuration, input: .none, output: .sequence, error: .sequence) {
                execution in
                leave()  // spawned: the next run may spawn while this one runs
                await started(ProcessGroup(id: execution.processIdentifier.value))
                await withTaskGroup(of: Void.self) { group in
                    group.addTask {
                        do {
                            for try await buffer in execution.standardOutput {
                                await output(.output, buffer.withUnsafeBytes { [UInt8]($0) })
                            }
                        } catch {}
                    }
                    group.addTask {
                        do {
                            for try await buffer in execution.standardError {
                                await output(.error, buffer.withUnsafeBytes { [UInt8]($0) })
                            }
                        } catch {}
                    }
                }
            }
            switch result.terminationStatus {
            case .exited(let code): return .exited(code)
            case .signaled(let signal): return .signaled(signal)
            }
        } catch let error as SubprocessError {
            let errno = error.underlyingError?.rawValue
            let shortage = errno == EMFILE || errno == ENFILE ? Self.descriptorShortage() : nil
            throw LaunchError("could not start \(spec.argv0): \(shortage ?? error.description)")
        } catch {
            throw LaunchError("could not start \(spec.argv0): \(error)")
        }
    }

    /// Out of file descriptors, swift-subprocess reports the first open that failed (often the working
    /// directory's): say what is really wrong.
    static func descriptorShortage() -> String {
        var limit = rlimit()
        getrlimit(__rlimit_resource_t(RLIMIT_NOFILE.rawValue), &limit)
        return
            "the daemon has run out of file descriptors (limit \(limit.rlim_cur) open files): raise `ulimit -n` for errand serve, or lower the throttle limits so fewer runs hold pipes at once"
    }
}
