/// A bad model file: which file, which key (a dotted path with array indices, e.g.
/// `device.pf[0].sriov.initial_vfs`) and what was expected. Never a crash, never ignored.
public struct ModelError: Error, Sendable, Equatable, CustomStringConvertible {
    public let file: String
    public let keyPath: String
    public let message: String
    /// The file could not be read at all (missing, a directory, not text), as opposed to a file
    /// that was read and is not a valid model.
    public let unreadable: Bool

    public init(file: String, keyPath: String, message: String, unreadable: Bool = false) {
        self.file = file
        self.keyPath = keyPath
        self.message = message
        self.unreadable = unreadable
    }

    public var description: String {
        keyPath.isEmpty ? "\(file): \(message)" : "\(file): \(keyPath): \(message)"
    }
}
