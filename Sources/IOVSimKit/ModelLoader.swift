import Foundation
import PCIe
import TOMLKit

/// Reads a model file: TOML syntax, then the schema of `ModelFile` (types, ranges, unknown
/// keys), then consistency (InitialVFs <= TotalVFs, capabilities inside config space and apart,
/// BAR sizes powers of two, a First VF Offset for every NumVFs). Every failure is a
/// `ModelError` naming the file and the key.
public enum ModelLoader {
    public static func load(path: String) throws -> ModelFile {
        let text: String
        do {
            text = try String(contentsOfFile: path, encoding: .utf8)
        } catch {
            throw ModelError(file: path, keyPath: "", message: "cannot read the file: \(error.localizedDescription)")
        }
        return try parse(text, file: path)
    }

    public static func parse(_ text: String, file: String) throws -> ModelFile {
        let table: TOMLTable
        do {
            table = try TOMLTable(string: text)
        } catch let error as TOMLParseError {
            throw ModelError(file: file, keyPath: "", message: "TOML syntax error at line \(error.source.begin.line), column \(error.source.begin.column): \(error.description)")
        }
        let value = ModelValue(table)
        let model: ModelFile
        do {
            model = try ModelFile(from: ModelDecoder(value: value, codingPath: []))
        } catch let error as DecodingError {
            throw describe(error, file: file)
        }
        try rejectUnknownKeys(input: value, model: model, file: file)
        try ModelValidator(file: file).validate(model)
        return model
    }

    /// Any key in the file that the schema did not take is an error: encode what was decoded
    /// and compare the key sets.
    static func rejectUnknownKeys(input: ModelValue, model: ModelFile, file: String) throws {
        let understood = try JSONSerialization.jsonObject(with: JSONEncoder().encode(model))
        if let path = firstUnknown(input, understood, path: "") {
            throw ModelError(file: file, keyPath: path, message: "unknown key (not in the model schema; check its spelling)")
        }
    }

    static func firstUnknown(_ read: ModelValue, _ understood: Any, path: String) -> String? {
        switch read {
        case .table(let entries):
            let known = understood as? [String: Any] ?? [:]
            for (key, value) in entries {
                let child = path.isEmpty ? key : "\(path).\(key)"
                guard let inner = known[key] else { return child }
                if let found = firstUnknown(value, inner, path: child) { return found }
            }
        case .array(let elements):
            let known = understood as? [Any] ?? []
            for (index, element) in elements.enumerated() where index < known.count {
                if let found = firstUnknown(element, known[index], path: "\(path)[\(index)]") { return found }
            }
        default:
            break
        }
        return nil
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
