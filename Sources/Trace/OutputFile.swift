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

    /// Makes `path` a directory, with any missing parents (mode 0755); an existing directory is
    /// fine, anything else in the way is the failure (its reason says which part, when a parent).
    public static func createDirectory(_ path: String) throws {
        do { try makeDirectory(path) } catch let failure as Failure where failure.path != path {
            throw Failure(path: path, reason: "\(failure.reason) (\(failure.path))")
        }
    }

    static func makeDirectory(_ path: String) throws {
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) {
            guard isDirectory.boolValue else { throw Failure(path: path, reason: String(cString: strerror(ENOTDIR))) }
            return
        }
        let parent = (path as NSString).deletingLastPathComponent
        if !parent.isEmpty, parent != path { try makeDirectory(parent) }
        guard mkdir(path, 0o755) == 0 || errno == EEXIST else { throw Failure(path: path, reason: String(cString: strerror(errno))) }
    }

    /// A handle for writing `path`, created (mode 0644) or truncated.
    public static func create(_ path: String) throws -> FileHandle {
        let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        guard fd >= 0 else { throw Failure(path: path, reason: String(cString: strerror(errno))) }
        return FileHandle(fileDescriptor: fd, closeOnDealloc: true)
    }
}
