import ServiceLifecycle

/// A store engine as the daemon runs it: the whole ``Store`` and a `Service`. Its `run()` keeps what the
/// engine holds (a file, a connection pool) open until graceful shutdown, then closes it; the composition
/// root puts it first in the `ServiceGroup`, so it is shut down last, after every service that uses it.
public protocol StoreEngine: Store, Service {
    /// Closes what the engine holds; later operations are ``StoreError/unavailable(_:)``. For a store used
    /// without a service group (a command that works on a store directly).
    func close() async
}
