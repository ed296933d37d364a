/// A TOML 1.0 reader for model files, written here so that no input can crash it (the C++
/// parser it replaces asserted on some malformed keys): tables, arrays of tables, dotted and
/// quoted keys, inline tables, arrays, basic and literal strings (one- and multi-line),
/// integers (decimal, 0x, 0o, 0b, underscores), floats and booleans. Dates and times are not
/// model values and are refused. Every error says the line and column.
struct TOMLParser {
    struct SyntaxError: Error, CustomStringConvertible {
        let line: Int
        let column: Int
        let message: String
        var description: String { "TOML syntax error at line \(line), column \(column): \(message)" }
    }

    /// A table being built: keys in the order they first appear.
    final class Table {
        var keys: [String] = []
        var entries: [String: Node] = [:]
        /// How the table came to be, which decides what may extend it later (TOML 1.0
        /// "Table"): made on the way to a deeper header, by its own header, by dotted keys, or
        /// inline (closed for good).
        enum Origin { case implicit, header, dotted, inline }
        var origin: Origin

        init(_ origin: Origin) { self.origin = origin }

        func set(_ key: String, _ node: Node) {
            if entries[key] == nil { keys.append(key) }
            entries[key] = node
        }

        var value: ModelValue { .table(keys.map { ($0, entries[$0]!.value) }) }
    }

    enum Node {
        case value(ModelValue)
        case table(Table)
        /// An array of tables made by [[headers]].
        case tables([Table])

        var value: ModelValue {
            switch self {
            case .value(let v): v
            case .table(let t): t.value
            case .tables(let list): .array(list.map(\.value))
            }
        }
    }

    let chars: [Character]
    var i = 0

    init(_ text: String) { chars = Array(text) }

    static func parse(_ text: String) throws -> ModelValue {
        var parser = TOMLParser(text)
        return try parser.document().value
    }

    // MARK: Position and errors

    func error(_ message: String, at position: Int? = nil) -> SyntaxError {
        let end = min(position ?? i, chars.count)
        var line = 1, column = 1
        for c in chars[..<end] {
            if c == "\n" { line += 1; column = 1 } else { column += 1 }
        }
        return SyntaxError(line: line, column: column, message: message)
    }

    var current: Character? { i < chars.count ? chars[i] : nil }

    mutating func skipSpaces() {
        while let c = current, c == " " || c == "\t" { i += 1 }
    }

    /// Spaces, then a comment, then the end of the line (or of the file).
    mutating func endOfLine() throws {
        skipSpaces()
        if current == "#" { while let c = current, c != "\n" { i += 1 } }
        if current == "\r" { i += 1 }
        guard current == nil || current == "\n" else { throw error("expected the end of the line, found '\(current!)'") }
        if current == "\n" { i += 1 }
    }

    /// Blank lines, spaces, comments and newlines (inside arrays).
    mutating func skipTrivia() {
        while let c = current {
            if c == " " || c == "\t" || c == "\n" || c == "\r" { i += 1 } else if c == "#" {
                while let d = current, d != "\n" { i += 1 }
            } else { break }
        }
    }

    // MARK: Document

    mutating func document() throws -> Table {
        let root = Table(.header)
        var table = root
        while true {
            skipTrivia()
            guard let c = current else { break }
            if c == "[" {
                table = try header(root)
            } else {
                try keyValue(into: table)
            }
            try endOfLine()
        }
        return root
    }

    /// `[a.b]` or `[[a.b]]`: the table later key/values go into.
    mutating func header(_ root: Table) throws -> Table {
        let start = i
        i += 1
        let isArray = current == "["
        if isArray { i += 1 }
        skipSpaces()
        let path = try key()
        skipSpaces()
        guard current == "]" else { throw error("expected ']' to close the table header") }
        i += 1
        if isArray {
            guard current == "]" else { throw error("expected ']]' to close the array-of-tables header") }
            i += 1
        }
        var table = root
        let dotted = path.joined(separator: ".")
        for (n, name) in path.enumerated() {
            let last = n == path.count - 1
            switch table.entries[name] {
            case nil:
                let child = Table(last ? .header : .implicit)
                table.set(name, last && isArray ? .tables([child]) : .table(child))
                table = child
            case .table(let existing):
                guard existing.origin != .inline else { throw error("'\(name)' is an inline table and cannot be extended", at: start) }
                if last {
                    guard !isArray else { throw error("'\(dotted)' is a table, not an array of tables", at: start) }
                    guard existing.origin == .implicit else { throw error("table '\(dotted)' is defined twice", at: start) }
                    existing.origin = .header
                }
                table = existing
            case .tables(var list):
                if last {
                    guard isArray else { throw error("'\(dotted)' is an array of tables, not a table", at: start) }
                    let child = Table(.header)
                    list.append(child)
                    table.set(name, .tables(list))
                    table = child
                } else {
                    table = list[list.count - 1]
                }
            case .value:
                throw error("'\(name)' already has a value, it cannot be a table", at: start)
            }
        }
        return table
    }

    /// `a.b = value` into `table`.
    mutating func keyValue(into table: Table) throws {
        let start = i
        let path = try key()
        skipSpaces()
        guard current == "=" else { throw error("expected '=' after the key '\(path.joined(separator: "."))'") }
        i += 1
        skipSpaces()
        let value = try self.value()
        var target = table
        for name in path.dropLast() {
            switch target.entries[name] {
            case nil:
                let child = Table(.dotted)
                target.set(name, .table(child))
                target = child
            case .table(let existing) where existing.origin == .dotted || existing.origin == .implicit:
                target = existing
            default:
                throw error("'\(name)' is already defined and cannot take dotted keys", at: start)
            }
        }
        let name = path[path.count - 1]
        guard target.entries[name] == nil else { throw error("duplicate key '\(path.joined(separator: "."))'", at: start) }
        switch value {
        case .table(let inline):
            target.set(name, .table(inline))
        default:
            target.set(name, .value(value.model))
        }
    }

    // MARK: Keys

    /// A dotted key: bare or quoted parts separated by dots.
    mutating func key() throws -> [String] {
        var parts: [String] = []
        while true {
            skipSpaces()
            guard let c = current else { throw error("expected a key, found the end of the file") }
            if c == "\"" {
                parts.append(try basicString())
            } else if c == "'" {
                parts.append(try literalString())
            } else {
                let start = i
                while let d = current, d.isASCII, d.isLetter || d.isNumber || d == "_" || d == "-" { i += 1 }
                guard i > start else { throw error("expected a key (letters, digits, '_' and '-', or a quoted string), found '\(c)'") }
                parts.append(String(chars[start..<i]))
            }
            skipSpaces()
            guard current == "." else { return parts }
            i += 1
        }
    }

    // MARK: Values

    /// A parsed value; inline tables stay tables so they can be entered into the tree closed.
    enum Parsed {
        case plain(ModelValue)
        case table(Table)
        var model: ModelValue {
            switch self {
            case .plain(let v): v
            case .table(let t): t.value
            }
        }
    }

    mutating func value() throws -> Parsed {
        guard let c = current else { throw error("expected a value, found the end of the file") }
        switch c {
        case "\"": return .plain(.string(try basicString()))
        case "'": return .plain(.string(try literalString()))
        case "[": return .plain(try array())
        case "{": return .table(try inlineTable())
        case "t", "f":
            if match("true") { return .plain(.bool(true)) }
            if match("false") { return .plain(.bool(false)) }
            throw error("expected a value (true, false, a number, a string, an array or an inline table)")
        default:
            return .plain(try number())
        }
    }

    mutating func match(_ word: String) -> Bool {
        let w = Array(word)
        guard i + w.count <= chars.count, Array(chars[i..<(i + w.count)]) == w else { return false }
        let after = i + w.count < chars.count ? chars[i + w.count] : " "
        guard !(after.isLetter || after.isNumber || after == "_") else { return false }
        i += w.count
        return true
    }

    mutating func array() throws -> ModelValue {
        i += 1
        var elements: [ModelValue] = []
        while true {
            skipTrivia()
            guard let c = current else { throw error("unterminated array: expected ']'") }
            if c == "]" {
                i += 1
                return .array(elements)
            }
            elements.append(try value().model)
            skipTrivia()
            if current == "," {
                i += 1
            } else if current != "]" {
                throw error("expected ',' or ']' in an array")
            }
        }
    }

    mutating func inlineTable() throws -> Table {
        i += 1
        let table = Table(.inline)
        skipSpaces()
        if current == "}" {
            i += 1
            return table
        }
        while true {
            skipSpaces()
            try keyValue(into: table)
            skipSpaces()
            if current == "," {
                i += 1
            } else if current == "}" {
                i += 1
                return table
            } else {
                throw error("expected ',' or '}' in an inline table (inline tables are on one line)")
            }
        }
    }

    // MARK: Strings

    mutating func basicString() throws -> String {
        let multi = i + 2 < chars.count && chars[i + 1] == "\"" && chars[i + 2] == "\""
        i += multi ? 3 : 1
        if multi, current == "\n" { i += 1 } else if multi, current == "\r", i + 1 < chars.count, chars[i + 1] == "\n" { i += 2 }
        var out = ""
        while true {
            guard let c = current else { throw error("unterminated string") }
            if multi, c == "\"", i + 2 < chars.count, chars[i + 1] == "\"", chars[i + 2] == "\"" {
                i += 3
                return out
            }
            if !multi, c == "\"" {
                i += 1
                return out
            }
            if !multi, c == "\n" { throw error("a one-line string ends at the end of the line") }
            if c == "\\" {
                i += 1
                guard let e = current else { throw error("unterminated string") }
                i += 1
                switch e {
                case "n": out.append("\n")
                case "t": out.append("\t")
                case "r": out.append("\r")
                case "b": out.append("\u{8}")
                case "f": out.append("\u{c}")
                case "\"": out.append("\"")
                case "\\": out.append("\\")
                case "u", "U":
                    let n = e == "u" ? 4 : 8
                    guard i + n <= chars.count, let code = UInt32(String(chars[i..<(i + n)]), radix: 16), let scalar = Unicode.Scalar(code) else {
                        throw error("bad \\\(e) escape: expected \(n) hex digits of a Unicode scalar")
                    }
                    out.unicodeScalars.append(scalar)
                    i += n
                case "\n" where multi, " " where multi, "\t" where multi:
                    // Line-ending backslash: skip the newline and leading whitespace.
                    while let w = current, w == " " || w == "\t" || w == "\n" || w == "\r" { i += 1 }
                default:
                    throw error("unknown escape '\\\(e)'")
                }
                continue
            }
            out.append(c)
            i += 1
        }
    }

    mutating func literalString() throws -> String {
        let multi = i + 2 < chars.count && chars[i + 1] == "'" && chars[i + 2] == "'"
        i += multi ? 3 : 1
        if multi, current == "\n" { i += 1 }
        let start = i
        while true {
            guard let c = current else { throw error("unterminated string") }
            if multi, c == "'", i + 2 < chars.count, chars[i + 1] == "'", chars[i + 2] == "'" {
                i += 3
                return String(chars[start..<(i - 3)])
            }
            if !multi, c == "'" {
                i += 1
                return String(chars[start..<(i - 1)])
            }
            if !multi, c == "\n" { throw error("a one-line string ends at the end of the line") }
            i += 1
        }
    }

    // MARK: Numbers

    mutating func number() throws -> ModelValue {
        let start = i
        while let c = current, c.isASCII, c.isLetter || c.isNumber || "+-_.:".contains(c) { i += 1 }
        let text = String(chars[start..<i])
        guard !text.isEmpty else { throw error("expected a value, found '\(current!)'", at: start) }
        if text.contains(":") || (text.count >= 10 && text.dropFirst(4).first == "-" && text.first?.isNumber == true) {
            throw error("dates and times are not model values: '\(text)'", at: start)
        }
        var body = Substring(text), sign = 1
        if body.first == "+" || body.first == "-" {
            sign = body.first == "-" ? -1 : 1
            body = body.dropFirst()
        }
        switch body {
        case "inf": return .double(Double(sign) * .infinity)
        case "nan": return .double(.nan)
        default: break
        }
        func digits(_ s: Substring) throws -> String {
            // Underscores only between digits (TOML 1.0 "Integer").
            guard !s.isEmpty, s.first != "_", s.last != "_", !s.contains("__") else { throw error("misplaced '_' or no digits in '\(text)'", at: start) }
            return String(s.filter { $0 != "_" })
        }
        let radix: Int? = body.hasPrefix("0x") ? 16 : body.hasPrefix("0o") ? 8 : body.hasPrefix("0b") ? 2 : nil
        if let radix {
            guard sign == 1, text.first != "+" else { throw error("a hex, octal or binary integer has no sign: '\(text)'", at: start) }
            guard let value = Int(try digits(body.dropFirst(2)), radix: radix) else {
                throw error("'\(text)' is not an integer that fits in 64 signed bits", at: start)
            }
            return .integer(value)
        }
        let plain = try digits(body)
        if plain.allSatisfy(\.isNumber) {
            guard plain == "0" || plain.first != "0" else { throw error("leading zeros are not allowed: '\(text)'", at: start) }
            guard let value = Int((sign == -1 ? "-" : "") + plain) else {
                throw error("'\(text)' is not an integer that fits in 64 signed bits", at: start)
            }
            return .integer(value)
        }
        guard plain.first?.isNumber == true, plain.last?.isNumber == true, let value = Double(plain) else {
            throw error("'\(text)' is not a value (expected true, false, a number, a string, an array or an inline table)", at: start)
        }
        return .double(Double(sign) * value)
    }
}
