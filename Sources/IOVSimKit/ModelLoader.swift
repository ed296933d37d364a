import Foundation
import PCIe

/// Reads a model file: TOML syntax, then the schema of `ModelFile` (types, ranges, unknown
/// keys), then consistency (InitialVFs <= TotalVFs, capabilities inside config space and apart,
/// BAR sizes powers of two, a First VF Offset for every NumVFs). Every failure is a
/// `ModelError` naming the file and the key.
public enum ModelLoader {
    public static func load(path: String) throws -> ModelFile {
        func unreadable(_ why: String) -> ModelError { ModelError(file: path, keyPath: "", message: why, unreadable: true) }
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else { throw unreadable("no such file") }
        guard !isDirectory.boolValue else { throw unreadable("is a directory, not a model file (expected a .toml file, e.g. Models/i82599.toml)") }
        guard let data = FileManager.default.contents(atPath: path) else { throw unreadable("cannot read the file (permission?)") }
        guard !data.contains(0), let text = String(data: data, encoding: .utf8) else {
            throw unreadable("not a text file (binary or not UTF-8); a model file is TOML text")
        }
        return try parse(text, file: path)
    }

    public static func parse(_ text: String, file: String) throws -> ModelFile {
        let value: ModelValue
        do {
            value = try TOMLParser.parse(text)
        } catch let error as TOMLParser.SyntaxError {
            throw ModelError(file: file, keyPath: "", message: error.description)
        }
        let model: ModelFile
        do {
            model = try ModelFile(from: ModelDecoder(value: value, codingPath: []))
        } catch let error as DecodingError {
            throw describe(error, file: file)
        }
        try ModelValidator(file: file).validate(model)
        return model
    }

    /// A decoding error as a key path and what was expected.
    static func describe(_ error: DecodingError, file: String) -> ModelError {
        switch error {
        case .typeMismatch(let type, let context):
            return ModelError(file: file, keyPath: keyPath(context.codingPath), message: "expected \(expected(type)), \(context.debugDescription)")
        case .valueNotFound(let type, let context):
            return ModelError(file: file, keyPath: keyPath(context.codingPath), message: "missing value, expected \(expected(type))")
        case .keyNotFound(let key, let context):
            return ModelError(file: file, keyPath: keyPath(context.codingPath + [key]), message: "required key is missing")
        case .dataCorrupted(let context):
            let path = keyPath(context.codingPath)
            return ModelError(file: file, keyPath: path, message: context.debugDescription)
        @unknown default:
            return ModelError(file: file, keyPath: "", message: "\(error)")
        }
    }

    static func keyPath(_ path: [any CodingKey]) -> String {
        var out = ""
        for key in path {
            if let index = key.intValue {
                out += "[\(index)]"
            } else {
                out += out.isEmpty ? key.stringValue : ".\(key.stringValue)"
            }
        }
        return out
    }

    static func expected(_ type: Any.Type) -> String {
        switch type {
        case is String.Type: "a string"
        case is Bool.Type: "true or false"
        case is UInt8.Type: "an integer in 0...0xff"
        case is UInt16.Type: "an integer in 0...0xffff"
        case is UInt32.Type: "an integer in 0...0xffffffff"
        case is UInt64.Type, is Int.Type: "an integer"
        case is [Any].Type: "an array"
        case is BARDefinition.Kind.Type: "one of \"mem32\", \"mem64\", \"io\""
        default: "a table (\(type))"
        }
    }
}
