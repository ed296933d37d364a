import Foundation

/// Creating an output file (a VCD, a log, a pcap): truncated if it exists, and when it cannot be
/// made, the operating system's reason (`No such file or directory`, `Permission denied`,
/// `Is a directory`) with the path, for the user to act on.
public enum OutputFile {
    public struct Failure: Error, Sendable, CustomStringConvertible {
        public let path: String
        /// strerror(errno) of the failed open(2).
        public let reason: String
        public var description: String { "\(path): \(reason)" }
    }

    /// A handle for writing `path`, created (mode 0644) or truncated.
    public static func create(_ path: String) throws -> FileHandle {
        let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        guard fd >= 0 else { throw Failure(path: path, reason: String(cString: strerror(errno))) }
        return FileHandle(fileDescriptor: fd, closeOnDealloc: true)
    }
}
