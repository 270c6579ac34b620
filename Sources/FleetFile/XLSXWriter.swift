import Foundation
import ZIPFoundation

/// Writes a minimal, valid `.xlsx` workbook with one sheet (`cameras` by default).
///
/// Parts: `[Content_Types].xml`, `_rels/.rels`, `xl/workbook.xml`, `xl/_rels/workbook.xml.rels`,
/// `xl/styles.xml` (bold header), `xl/sharedStrings.xml` (deduplicated) and
/// `xl/worksheets/sheet1.xml` (header row frozen). Text cells are shared strings, so Excel never
/// evaluates them: no CSV-style formula neutralisation is needed here. Columns listed in
/// `numericColumns` are written as numbers when the value parses as a finite number.
/// Characters that XML 1.0 forbids (C0 controls except TAB/LF/CR) are dropped.
public enum XLSXWriter {
    /// Builds the workbook bytes.
    public static func write(header: [String], rows: [[String]], sheetName: String = "cameras",
                             numericColumns: Set<Int> = []) throws(FleetFileError) -> Data {
        var sst: [String] = []
        var sstIndex: [String: Int] = [:]
        var sstCount = 0
        func shared(_ s: String) -> Int {
            sstCount += 1
            if let i = sstIndex[s] { return i }
            sstIndex[s] = sst.count
            sst.append(s)
            return sst.count - 1
        }

        var sheet = """
        <?xml version="1.0" encoding="UTF-8" standalone="yes"?>
        <worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" \
        xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">\
        <sheetViews><sheetView workbookViewId="0"><pane ySplit="1" topLeftCell="A2" activePane="bottomLeft" state="frozen"/>\
        </sheetView></sheetViews><sheetFormatPr defaultRowHeight="15"/><sheetData>
        """
        sheet.reserveCapacity(rows.count * 200)
        let letters = (0..<max(header.count, rows.map(\.count).max() ?? 0)).map(ColumnName.letters)
        func writeRow(_ number: Int, _ values: [String], style: Int?) {
            sheet += "<row r=\"\(number)\">"
            for (i, v) in values.enumerated() where !v.isEmpty {
                let ref = "\(letters[i])\(number)"
                let s = style.map { " s=\"\($0)\"" } ?? ""
                if numericColumns.contains(i), style == nil, let d = Double(v), d.isFinite, !v.contains(where: \.isLetter) {
                    sheet += "<c r=\"\(ref)\"\(s)><v>\(v)</v></c>"
                } else {
                    sheet += "<c r=\"\(ref)\"\(s) t=\"s\"><v>\(shared(v))</v></c>"
                }
            }
            sheet += "</row>"
        }
        writeRow(1, header, style: 1)
        for (i, r) in rows.enumerated() { writeRow(i + 2, r, style: nil) }
        sheet += "</sheetData></worksheet>"

        var sstXML = """
        <?xml version="1.0" encoding="UTF-8" standalone="yes"?>
        <sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" count="\(sstCount)" uniqueCount="\(sst.count)">
        """
        for s in sst {
            let preserve = s.first?.isWhitespace == true || s.last?.isWhitespace == true || s.contains("\n")
            sstXML += preserve ? "<si><t xml:space=\"preserve\">" : "<si><t>"
            sstXML += escape(s)
            sstXML += "</t></si>"
        }
        sstXML += "</sst>"

        let parts: [(String, String)] = [
            ("[Content_Types].xml", """
            <?xml version="1.0" encoding="UTF-8" standalone="yes"?>
            <Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">\
            <Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>\
            <Default Extension="xml" ContentType="application/xml"/>\
            <Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>\
            <Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>\
            <Override PartName="/xl/styles.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/>\
            <Override PartName="/xl/sharedStrings.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/>\
            </Types>
            """),
            ("_rels/.rels", """
            <?xml version="1.0" encoding="UTF-8" standalone="yes"?>
            <Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">\
            <Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/>\
            </Relationships>
            """),
            ("xl/workbook.xml", """
            <?xml version="1.0" encoding="UTF-8" standalone="yes"?>
            <workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" \
            xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">\
            <sheets><sheet name="\(escape(String(sheetName.prefix(31))))" sheetId="1" r:id="rId1"/></sheets></workbook>
            """),
            ("xl/_rels/workbook.xml.rels", """
            <?xml version="1.0" encoding="UTF-8" standalone="yes"?>
            <Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">\
            <Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/>\
            <Relationship Id="rId2" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/styles" Target="styles.xml"/>\
            <Relationship Id="rId3" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/sharedStrings" Target="sharedStrings.xml"/>\
            </Relationships>
            """),
            ("xl/styles.xml", """
            <?xml version="1.0" encoding="UTF-8" standalone="yes"?>
            <styleSheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">\
            <fonts count="2"><font><sz val="11"/><name val="Calibri"/></font><font><b/><sz val="11"/><name val="Calibri"/></font></fonts>\
            <fills count="2"><fill><patternFill patternType="none"/></fill><fill><patternFill patternType="gray125"/></fill></fills>\
            <borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>\
            <cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>\
            <cellXfs count="2"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>\
            <xf numFmtId="0" fontId="1" fillId="0" borderId="0" xfId="0" applyFont="1"/></cellXfs>\
            <cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles>\
            </styleSheet>
            """),
            ("xl/sharedStrings.xml", sstXML),
            ("xl/worksheets/sheet1.xml", sheet),
        ]
        do {
            let archive = try Archive(accessMode: .create)
            let stamp = Date(timeIntervalSince1970: 1_704_067_200) // fixed: identical input → identical bytes
            for (path, xml) in parts {
                let bytes = Data(xml.utf8)
                try archive.addEntry(with: path, type: .file, uncompressedSize: Int64(bytes.count),
                                     modificationDate: stamp, compressionMethod: .deflate) { position, size in
                    bytes.subdata(in: Int(position)..<Int(position) + size)
                }
            }
            guard let data = archive.data else { throw FleetFileError(.writeFailed, "The zip archive produced no data.") }
            return data
        } catch let error as FleetFileError {
            throw error
        } catch {
            throw FleetFileError(.writeFailed, "Could not write the .xlsx archive: \(error)")
        }
    }

    /// Escapes XML special characters and drops characters XML 1.0 cannot carry.
    static func escape(_ s: String) -> String {
        var out = ""
        out.reserveCapacity(s.utf8.count)
        for u in s.unicodeScalars {
            switch u {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "\t", "\n", "\r": out.unicodeScalars.append(u)
            case "\u{0}"..."\u{1F}", "\u{FFFE}", "\u{FFFF}": continue
            default: out.unicodeScalars.append(u)
            }
        }
        return out
    }
}
