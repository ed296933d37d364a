import Foundation

/// A parsed TOML value with its TOML type intact (integers stay integers), which
/// `ModelDecoder` decodes into the schema with exact key paths and range checks.
indirect enum ModelValue {
    case table([(key: String, value: ModelValue)])
    case array([ModelValue])
    case string(String)
    case integer(Int)
    case double(Double)
    case bool(Bool)

    var typeName: String {
        switch self {
        case .table: "a table"
        case .array: "an array"
        case .string: "a string"
        case .integer: "an integer"
        case .double: "a floating-point number"
        case .bool: "a boolean"
        }
    }
}

/// A `Decoder` over `ModelValue`: every failure carries the coding path, and integers are
/// range-checked against the field's type (JSONDecoder loses the path on overflow).
struct ModelDecoder: Decoder {
    let value: ModelValue
    let codingPath: [any CodingKey]
    var userInfo: [CodingUserInfoKey: Any] { [:] }

    func container<Key: CodingKey>(keyedBy type: Key.Type) throws -> KeyedDecodingContainer<Key> {
        guard case .table(let entries) = value else { throw mismatch([String: Any].self) }
        // A key the schema does not have is reported here, before the table's fields are
        // decoded, so a misspelt key is named as such rather than as its twin "missing".
        for (key, _) in entries where Key(stringValue: key) == nil {
            let suggestion = Self.closest(to: key, in: Key.self).map { "; did you mean \($0)?" } ?? ""
            throw DecodingError.dataCorrupted(.init(codingPath: codingPath + [Name(key)], debugDescription: "unknown key\(suggestion)"))
        }
        return KeyedDecodingContainer(Keyed(entries: Dictionary(entries, uniquingKeysWith: { a, _ in a }), codingPath: codingPath))
    }

    /// A valid key one edit (insertion, deletion, substitution, swap of neighbours) away from
    /// `key`, or the same key in snake_case: the schema's keys are only known by asking.
    static func closest<Key: CodingKey>(to key: String, in _: Key.Type) -> String? {
        let alphabet = Array("abcdefghijklmnopqrstuvwxyz_0123456789")
        let chars = Array(key)
        var candidates: [String] = [key.lowercased().replacingOccurrences(of: "-", with: "_")]
        candidates.append(chars.reduce(into: "") { out, c in
            if c.isUppercase, !out.isEmpty { out += "_" }
            out += c.lowercased()
        })
        for i in 0...chars.count {
            for c in alphabet { candidates.append(String(chars[..<i] + [c] + chars[i...])) }
            guard i < chars.count else { break }
            candidates.append(String(chars[..<i] + chars[(i + 1)...]))
            for c in alphabet where c != chars[i] { candidates.append(String(chars[..<i] + [c] + chars[(i + 1)...])) }
            if i + 1 < chars.count { candidates.append(String(chars[..<i] + [chars[i + 1], chars[i]] + chars[(i + 2)...])) }
        }
        return candidates.first { $0 != key && Key(stringValue: $0) != nil }
    }

    /// A key of the file, for error paths.
    struct Name: CodingKey {
        let stringValue: String
        var intValue: Int? { nil }
        init(_ name: String) { stringValue = name }
        init?(stringValue: String) { self.stringValue = stringValue }
        init?(intValue: Int) { nil }
    }

    func unkeyedContainer() throws -> any UnkeyedDecodingContainer {
        guard case .array(let elements) = value else { throw mismatch([Any].self) }
        return Unkeyed(elements: elements, codingPath: codingPath)
    }

    func singleValueContainer() throws -> any SingleValueDecodingContainer { Single(value: value, codingPath: codingPath) }

    /// Decodes this value as `T`; a string that is not one of an enumeration's values is an
    /// error that lists them.
    func decode<T: Decodable>(_ type: T.Type) throws -> T {
        if let choices = type as? any (CaseIterable & RawRepresentable).Type {
            let allowed = Self.rawValues(choices)
            if case .string(let s) = value, !allowed.contains(s) {
                throw DecodingError.dataCorrupted(.init(codingPath: codingPath, debugDescription:
                    "'\(s)' is not one of " + allowed.map { "\"\($0)\"" }.joined(separator: ", ")))
            }
        }
        return try T(from: self)
    }

    static func rawValues<E: CaseIterable & RawRepresentable>(_: E.Type) -> [String] {
        E.allCases.map { "\($0.rawValue)" }
    }

    func mismatch(_ type: Any.Type) -> DecodingError {
        .typeMismatch(type, .init(codingPath: codingPath, debugDescription: "found \(value.typeName)"))
    }

    struct Index: CodingKey {
        let intValue: Int?
        var stringValue: String { "\(intValue!)" }
        init(_ index: Int) { intValue = index }
        init?(stringValue: String) { nil }
        init?(intValue: Int) { self.intValue = intValue }
    }

    struct Keyed<Key: CodingKey>: KeyedDecodingContainerProtocol {
        let entries: [String: ModelValue]
        let codingPath: [any CodingKey]
        var allKeys: [Key] { entries.keys.compactMap { Key(stringValue: $0) } }
        func contains(_ key: Key) -> Bool { entries[key.stringValue] != nil }

        func child(_ key: Key) throws -> ModelDecoder {
            guard let value = entries[key.stringValue] else {
                throw DecodingError.keyNotFound(key, .init(codingPath: codingPath, debugDescription: "missing"))
            }
            return ModelDecoder(value: value, codingPath: codingPath + [key])
        }
        func decodeNil(forKey key: Key) throws -> Bool { entries[key.stringValue] == nil }
        func decode<T: Decodable>(_ type: T.Type, forKey key: Key) throws -> T { try child(key).decode(type) }
        func nestedContainer<NestedKey: CodingKey>(keyedBy type: NestedKey.Type, forKey key: Key) throws -> KeyedDecodingContainer<NestedKey> {
            try child(key).container(keyedBy: type)
        }
        func nestedUnkeyedContainer(forKey key: Key) throws -> any UnkeyedDecodingContainer { try child(key).unkeyedContainer() }
        func superDecoder() throws -> any Decoder { ModelDecoder(value: .table(entries.map { ($0.key, $0.value) }), codingPath: codingPath) }
        func superDecoder(forKey key: Key) throws -> any Decoder { try child(key) }
    }

    struct Unkeyed: UnkeyedDecodingContainer {
        let elements: [ModelValue]
        let codingPath: [any CodingKey]
        var currentIndex = 0
        var count: Int? { elements.count }
        var isAtEnd: Bool { currentIndex >= elements.count }

        mutating func next() throws -> ModelDecoder {
            guard !isAtEnd else {
                throw DecodingError.valueNotFound(Any.self, .init(codingPath: codingPath + [Index(currentIndex)], debugDescription: "array too short"))
            }
            defer { currentIndex += 1 }
            return ModelDecoder(value: elements[currentIndex], codingPath: codingPath + [Index(currentIndex)])
        }
        mutating func decodeNil() throws -> Bool { false }
        mutating func decode<T: Decodable>(_ type: T.Type) throws -> T { try next().decode(type) }
        mutating func nestedContainer<NestedKey: CodingKey>(keyedBy type: NestedKey.Type) throws -> KeyedDecodingContainer<NestedKey> {
            try next().container(keyedBy: type)
        }
        mutating func nestedUnkeyedContainer() throws -> any UnkeyedDecodingContainer { try next().unkeyedContainer() }
        mutating func superDecoder() throws -> any Decoder { try next() }
    }

    struct Single: SingleValueDecodingContainer {
        let value: ModelValue
        let codingPath: [any CodingKey]

        func mismatch(_ type: Any.Type) -> DecodingError {
            .typeMismatch(type, .init(codingPath: codingPath, debugDescription: "found \(value.typeName)"))
        }
        func decodeNil() -> Bool { false }
        func decode(_ type: Bool.Type) throws -> Bool {
            guard case .bool(let b) = value else { throw mismatch(type) }
            return b
        }
        func decode(_ type: String.Type) throws -> String {
            guard case .string(let s) = value else { throw mismatch(type) }
            return s
        }
        func decode(_ type: Double.Type) throws -> Double {
            switch value {
            case .double(let d): return d
            case .integer(let i): return Double(i)
            default: throw mismatch(type)
            }
        }
        func decode(_ type: Float.Type) throws -> Float { Float(try decode(Double.self)) }
        func integer<T: FixedWidthInteger>(_ type: T.Type) throws -> T {
            guard case .integer(let i) = value else { throw mismatch(type) }
            guard let exact = T(exactly: i) else {
                throw DecodingError.dataCorrupted(.init(codingPath: codingPath, debugDescription: "value out of range: \(i) (0x\(String(i, radix: 16))) does not fit in \(T.min)...\(T.max)"))
            }
            return exact
        }
        func decode(_ type: Int.Type) throws -> Int { try integer(type) }
        func decode(_ type: Int8.Type) throws -> Int8 { try integer(type) }
        func decode(_ type: Int16.Type) throws -> Int16 { try integer(type) }
        func decode(_ type: Int32.Type) throws -> Int32 { try integer(type) }
        func decode(_ type: Int64.Type) throws -> Int64 { try integer(type) }
        func decode(_ type: UInt.Type) throws -> UInt { try integer(type) }
        func decode(_ type: UInt8.Type) throws -> UInt8 { try integer(type) }
        func decode(_ type: UInt16.Type) throws -> UInt16 { try integer(type) }
        func decode(_ type: UInt32.Type) throws -> UInt32 { try integer(type) }
        func decode(_ type: UInt64.Type) throws -> UInt64 { try integer(type) }
        func decode<T: Decodable>(_ type: T.Type) throws -> T { try ModelDecoder(value: value, codingPath: codingPath).decode(type) }
    }
}
