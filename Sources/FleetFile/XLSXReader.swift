import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif
import ZIPFoundation

/// Reads the first worksheet of an `.xlsx` workbook held in memory.
///
/// Safety:
/// - Zip bomb guard: the declared uncompressed size of every entry and of all entries together is
///   checked against the caps before anything is inflated, and the bytes actually produced while
///   inflating are counted, aborting as soon as a cap is passed (declared sizes can lie).
/// - XML with a `<!DOCTYPE` is refused (no entity expansion tricks); parsing is SAX (`XMLParser`),
///   so time and memory stay linear in the sheet size.
///
/// Cell rendering: shared strings (rich-text runs concatenated, phonetic `<rPh>` runs skipped),
/// inline strings, numbers (integers without `.0`, others in shortest round-trip form),
/// booleans as `TRUE`/`FALSE`. Formula cells (`<f>`) are returned with kind `.formula`
/// **whether or not a cached value exists**: the fleet parser rejects them, because a formula's
/// cached value can silently differ from what the operator sees after a recalculation (for
/// example formulas that reference other sheets or files). Error cells (`t="e"`) get kind `.error`.
public enum XLSXReader {
    /// Caps applied while reading a workbook.
    public struct Limits: Sendable, Hashable {
        /// Largest uncompressed size of one zip entry.
        public var maxEntryBytes: UInt64
        /// Largest uncompressed size of all entries together.
        public var maxTotalBytes: UInt64
        /// Largest number of zip entries.
        public var maxEntries: Int
        /// Largest number of non-empty rows (header included).
        public var maxRows: Int

        /// Creates limits; defaults are 100 MiB per entry, 200 MiB total, 10,000 entries, 100,001 rows.
        public init(maxEntryBytes: UInt64 = 100 << 20, maxTotalBytes: UInt64 = 200 << 20,
                    maxEntries: Int = 10_000, maxRows: Int = 100_001) {
            self.maxEntryBytes = maxEntryBytes
            self.maxTotalBytes = maxTotalBytes
            self.maxEntries = maxEntries
            self.maxRows = maxRows
        }
    }

    /// The outcome of reading a workbook.
    public struct Output: Sendable {
        /// Name of the first worksheet.
        public let sheetName: String
        /// Non-empty rows with their Excel row numbers.
        public let rows: [SheetRow]
    }

    /// True when `data` starts with the zip local file header magic `PK\x03\x04`.
    public static func looksLikeZip(_ data: Data) -> Bool {
        data.count >= 4 && data.prefix(4).elementsEqual([0x50, 0x4B, 0x03, 0x04])
    }

    /// Reads the first worksheet of the workbook in `data`.
    public static func read(_ data: Data, limits: Limits = Limits()) throws(FleetFileError) -> Output {
        guard looksLikeZip(data) else {
            throw FleetFileError(.notXLSX, "The file is not an Excel .xlsx workbook (it is not a zip archive). Save it again from Excel as .xlsx or CSV.")
        }
        let zip = try Zip(data: data, limits: limits)
        guard zip.has("xl/workbook.xml") else {
            throw FleetFileError(.notXLSX, "The zip archive has no xl/workbook.xml, so it is not an Excel .xlsx workbook.")
        }
        let workbook = WorkbookHandler()
        try runParser(zip.extract("xl/workbook.xml"), delegate: workbook, part: "xl/workbook.xml")
        guard let sheet = workbook.firstSheet else {
            throw FleetFileError(.emptySheet, "The workbook has no worksheet.")
        }
        let rels = RelsHandler()
        if zip.has("xl/_rels/workbook.xml.rels") {
            try runParser(zip.extract("xl/_rels/workbook.xml.rels"), delegate: rels, part: "xl/_rels/workbook.xml.rels")
        }
        var sheetPath = "xl/worksheets/sheet1.xml"
        if let rid = sheet.relID, let target = rels.targets[rid] { sheetPath = resolve(target) }
        guard zip.has(sheetPath) else {
            throw FleetFileError(.xlsxMalformed, "The first worksheet '\(sheet.name)' points to \(sheetPath), which is not in the file.")
        }
        var shared: [String] = []
        let sstPath = rels.sharedStringsTarget.map(resolve) ?? "xl/sharedStrings.xml"
        if zip.has(sstPath) {
            let sst = SharedStringsHandler()
            try runParser(zip.extract(sstPath), delegate: sst, part: sstPath)
            shared = sst.strings
        }
        let handler = SheetHandler(shared: shared, maxRows: limits.maxRows)
        try runParser(zip.extract(sheetPath), delegate: handler, part: sheetPath)
        var rows = handler.rows
        if !rows.indices.dropFirst().allSatisfy({ rows[$0 - 1].number < rows[$0].number }) {
            rows.sort { $0.number < $1.number }
        }
        guard let first = rows.first, let last = rows.last else {
            throw FleetFileError(.emptySheet, "The first worksheet '\(sheet.name)' is empty: put the header in row 1 and one camera per row below it.")
        }
        let bad = handler.merges.filter { $0.rows.overlaps(first.number...last.number) }
        if !bad.isEmpty {
            let list = bad.prefix(5).map(\.ref).joined(separator: ", ")
            throw FleetFileError(.mergedCells,
                "The sheet has merged cells (\(list)\(bad.count > 5 ? ", …" : "")). Unmerge them so every camera has its own row and every value its own cell.",
                row: bad.map(\.rows.lowerBound).min())
        }
        return Output(sheetName: sheet.name, rows: rows)
    }

    /// Resolves a relationship target relative to `xl/`.
    static func resolve(_ target: String) -> String {
        if target.hasPrefix("/") { return String(target.dropFirst()) }
        var parts = ["xl"]
        for p in target.split(separator: "/") {
            if p == "." { continue }
            if p == ".." { if !parts.isEmpty { parts.removeLast() }; continue }
            parts.append(String(p))
        }
        return parts.joined(separator: "/")
    }

    static func runParser(_ data: Data, delegate: some SAXHandler, part: String) throws(FleetFileError) {
        if data.prefix(65_536).range(of: Data("<!DOCTYPE".utf8)) != nil {
            throw FleetFileError(.xlsxMalformed, "\(part) contains a DOCTYPE declaration, which Excel never writes; refusing it.")
        }
        // Stream mode feeds libxml2 in small chunks; one huge chunk (> ~10 MB) trips its lookahead limit.
        let parser = XMLParser(stream: InputStream(data: data))
        parser.shouldResolveExternalEntities = false
        parser.delegate = delegate
        let ok = parser.parse()
        if let error = delegate.failure { throw error }
        if !ok {
            let why = parser.parserError.map { "\($0.localizedDescription)" } ?? "unknown error"
            throw FleetFileError(.xlsxMalformed, "\(part) is not well-formed XML (line \(parser.lineNumber)): \(why)")
        }
    }
}

// MARK: - Zip access with caps

private struct ZipBombAbort: Error {}

extension XLSXReader {
    struct Zip {
        let archive: Archive
        let limits: Limits
        private let paths: Set<String>
        private final class Budget { var extracted: UInt64 = 0 }
        private let budget = Budget()

        init(data: Data, limits: Limits) throws(FleetFileError) {
            do {
                archive = try Archive(data: data, accessMode: .read)
            } catch {
                throw FleetFileError(.notXLSX, "The file is not a readable zip archive, so it is not an Excel .xlsx workbook.")
            }
            self.limits = limits
            var total: UInt64 = 0
            var seen = Set<String>()
            for entry in archive {
                seen.insert(entry.path)
                guard seen.count <= limits.maxEntries else {
                    throw FleetFileError(.zipBomb, "The archive has more than \(limits.maxEntries) entries; refusing it.")
                }
                let size = entry.uncompressedSize
                if size > limits.maxEntryBytes {
                    throw FleetFileError(.zipBomb,
                        "The archive entry \(entry.path) would unpack to \(size) bytes (limit \(limits.maxEntryBytes)); refusing it as a possible zip bomb.")
                }
                total += size
                if total > limits.maxTotalBytes {
                    throw FleetFileError(.zipBomb,
                        "The archive would unpack to more than \(limits.maxTotalBytes) bytes; refusing it as a possible zip bomb.")
                }
            }
            paths = seen
        }

        func has(_ path: String) -> Bool { paths.contains(path) }

        /// Inflates one entry, counting the bytes produced and aborting past the caps.
        func extract(_ path: String) throws(FleetFileError) -> Data {
            guard let entry = archive[path] else {
                throw FleetFileError(.xlsxMalformed, "\(path) is missing from the workbook.")
            }
            var out = Data()
            out.reserveCapacity(Int(min(entry.uncompressedSize, limits.maxEntryBytes)))
            // Never produce more than the entry declared (a lying entry is hostile or corrupt),
            // nor more than what is left of the per-entry and total budgets.
            let remaining = limits.maxTotalBytes - min(budget.extracted, limits.maxTotalBytes)
            let cap = min(entry.uncompressedSize, limits.maxEntryBytes, remaining)
            do {
                _ = try archive.extract(entry, bufferSize: 64 * 1024) { chunk in
                    if UInt64(out.count + chunk.count) > cap { throw ZipBombAbort() }
                    out.append(chunk)
                }
            } catch is ZipBombAbort {
                throw FleetFileError(.zipBomb,
                    "\(path) unpacks to more than its declared size or the limit (\(cap) bytes); stopped unpacking and refused it as a possible zip bomb.")
            } catch {
                throw FleetFileError(.xlsxMalformed, "\(path) could not be unpacked: \(error)")
            }
            budget.extracted += UInt64(out.count)
            return out
        }
    }
}

// MARK: - SAX handlers

class SAXHandler: NSObject, XMLParserDelegate {
    var failure: FleetFileError?

    func fail(_ parser: XMLParser, _ error: FleetFileError) {
        if failure == nil { failure = error }
        parser.abortParsing()
    }

    // Linux's XMLParserDelegate has default implementations in a protocol extension, so the
    // methods must live here (and be overridden) for subclass implementations to be called.
    func parser(_ parser: XMLParser, didStartElement elementName: String, namespaceURI: String?,
                qualifiedName qName: String?, attributes: [String: String] = [:]) {}
    func parser(_ parser: XMLParser, didEndElement elementName: String, namespaceURI: String?, qualifiedName qName: String?) {}
    func parser(_ parser: XMLParser, foundCharacters string: String) {}

    @inline(__always) static func local(_ name: String) -> Substring {
        if let i = name.lastIndex(of: ":") { return name[name.index(after: i)...] }
        return name[...]
    }
}

final class WorkbookHandler: SAXHandler {
    var firstSheet: (name: String, relID: String?)?

    override func parser(_ parser: XMLParser, didStartElement elementName: String, namespaceURI: String?,
                qualifiedName qName: String?, attributes: [String: String] = [:]) {
        guard firstSheet == nil, Self.local(elementName) == "sheet" else { return }
        let rid = attributes.first { $0.key == "r:id" || $0.key.hasSuffix(":id") }?.value
        firstSheet = (attributes["name"] ?? "Sheet1", rid)
    }
}

final class RelsHandler: SAXHandler {
    var targets: [String: String] = [:]
    var sharedStringsTarget: String?

    override func parser(_ parser: XMLParser, didStartElement elementName: String, namespaceURI: String?,
                qualifiedName qName: String?, attributes: [String: String] = [:]) {
        guard Self.local(elementName) == "Relationship", let id = attributes["Id"], let target = attributes["Target"] else { return }
        targets[id] = target
        if attributes["Type"]?.hasSuffix("/sharedStrings") == true { sharedStringsTarget = target }
    }
}

final class SharedStringsHandler: SAXHandler {
    var strings: [String] = []
    private var current = ""
    private var inItem = false, inText = false, phonetic = 0

    override func parser(_ parser: XMLParser, didStartElement elementName: String, namespaceURI: String?,
                qualifiedName qName: String?, attributes: [String: String] = [:]) {
        switch Self.local(elementName) {
        case "si": inItem = true; current = ""
        case "t": inText = inItem && phonetic == 0
        case "rPh": phonetic += 1
        default: break
        }
    }

    override func parser(_ parser: XMLParser, didEndElement elementName: String, namespaceURI: String?, qualifiedName qName: String?) {
        switch Self.local(elementName) {
        case "si": strings.append(current); inItem = false
        case "t": inText = false
        case "rPh": phonetic -= 1
        default: break
        }
    }

    override func parser(_ parser: XMLParser, foundCharacters string: String) {
        if inText { current += string }
    }
}

final class SheetHandler: SAXHandler {
    struct Merge { let ref: String; let rows: ClosedRange<Int> }

    let shared: [String]
    let maxRows: Int
    var rows: [SheetRow] = []
    var merges: [Merge] = []

    private var rowNumber = 0
    private var cells: [SheetCell] = []
    private var column = -1
    private var type: String?
    private var hasFormula = false
    private var value = ""
    private var inline = ""
    private var inValue = false, inInline = false, inInlineText = false, phonetic = 0
    private var inCell = false

    init(shared: [String], maxRows: Int) {
        self.shared = shared
        self.maxRows = maxRows
    }

    override func parser(_ parser: XMLParser, didStartElement elementName: String, namespaceURI: String?,
                qualifiedName qName: String?, attributes: [String: String] = [:]) {
        switch Self.local(elementName) {
        case "row":
            if let r = attributes["r"], let n = Int(r), n > 0 { rowNumber = n } else { rowNumber += 1 }
            cells.removeAll(keepingCapacity: true)
            column = -1
        case "c":
            inCell = true
            if let ref = attributes["r"] {
                guard let parsed = ColumnName.parseReference(ref) else {
                    return fail(parser, FleetFileError(.xlsxMalformed, "Bad cell reference '\(ref)' in row \(rowNumber).", row: rowNumber))
                }
                column = parsed.column
            } else {
                column += 1
            }
            type = attributes["t"]
            hasFormula = false
            value = ""
            inline = ""
        case "v": inValue = inCell
        case "f": hasFormula = true
        case "is": inInline = true
        case "t": inInlineText = inInline && phonetic == 0
        case "rPh": phonetic += 1
        case "mergeCell":
            if let ref = attributes["ref"] {
                let ends = ref.split(separator: ":").compactMap { ColumnName.parseReference(String($0)) }
                if let a = ends.first {
                    let b = ends.last ?? a
                    merges.append(Merge(ref: ref, rows: min(a.row, b.row)...max(a.row, b.row)))
                }
            }
        default: break
        }
    }

    override func parser(_ parser: XMLParser, didEndElement elementName: String, namespaceURI: String?, qualifiedName qName: String?) {
        switch Self.local(elementName) {
        case "v": inValue = false
        case "t": inInlineText = false
        case "is": inInline = false
        case "rPh": phonetic -= 1
        case "c":
            inCell = false
            finishCell(parser)
        case "row":
            guard !cells.isEmpty else { return }
            if rows.count >= maxRows {
                return fail(parser, FleetFileError(.tooManyRows,
                    "The sheet has more than \(maxRows - 1) data rows (stopped at row \(rowNumber)). Split it into smaller files.", row: rowNumber))
            }
            if !cells.indices.dropFirst().allSatisfy({ cells[$0 - 1].column < cells[$0].column }) {
                cells.sort { $0.column < $1.column }
            }
            rows.append(SheetRow(number: rowNumber, cells: cells))
        default: break
        }
    }

    override func parser(_ parser: XMLParser, foundCharacters string: String) {
        if inValue { value += string } else if inInlineText { inline += string }
    }

    private func finishCell(_ parser: XMLParser) {
        var text: String
        var kind: SheetCell.Kind = .value
        switch type {
        case "s":
            guard let i = Int(value.trimmingCharacters(in: .whitespaces)), shared.indices.contains(i) else {
                if value.isEmpty { return }
                return fail(parser, FleetFileError(.xlsxMalformed,
                    "Cell \(ColumnName.letters(column))\(rowNumber) points to shared string \(value), which does not exist.", row: rowNumber))
            }
            text = shared[i]
        case "inlineStr": text = inline
        case "b": text = value == "1" ? "TRUE" : (value == "0" ? "FALSE" : value)
        case "e": text = value; kind = .error
        case "str", "d": text = value
        default: text = Self.renderNumber(value)
        }
        if hasFormula { kind = .formula }
        if text.isEmpty && kind == .value { return }
        cells.append(SheetCell(column: column, text: text, kind: kind))
    }

    /// Renders a numeric cell: integers without `.0`, other values in shortest round-trip form.
    static func renderNumber(_ raw: String) -> String {
        let s = raw.trimmingCharacters(in: .whitespaces)
        guard let d = Double(s), d.isFinite else { return s }
        if d == d.rounded(), abs(d) < 1e15 { return String(Int64(d)) }
        return "\(d)"
    }
}
