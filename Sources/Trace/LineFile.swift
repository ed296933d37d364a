import Foundation

/// A text file written line by line as a run goes, buffered in 64 KiB chunks (the TLP log and
/// the frame log).
final class LineFile {
    let handle: FileHandle
    var buffer = ""
    private(set) var lines = 0

    init(path: String, header: String) throws {
        let handle = try OutputFile.create(path)
        self.handle = handle
        buffer.reserveCapacity(1 << 16)
        write(header)
    }

    func write(_ line: String) {
        buffer += line
        buffer += "\n"
        if buffer.utf8.count >= 1 << 16 { flush() }
    }

    /// A record line (the header is not counted).
    func append(_ line: String) {
        write(line)
        lines += 1
    }

    func flush() {
        handle.write(Data(buffer.utf8))
        buffer.removeAll(keepingCapacity: true)
    }

    func close() throws {
        flush()
        try handle.close()
    }
}
