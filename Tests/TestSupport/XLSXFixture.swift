import Foundation
import ZIPFoundation

/// Builds small .xlsx files from raw XML parts (formula cells, merged cells, zip bombs, lying
/// size fields) for the import tests of FleetFile and of the gateway.
package enum XLSXFixture {
    package static let ns = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"

    package static func workbook(sheetXML body: String, sharedStrings: [String]? = nil, mergeCells: String = "") throws -> Data {
        var parts: [(String, Data)] = [
            ("[Content_Types].xml", Data("<?xml version=\"1.0\"?><Types xmlns=\"http://schemas.openxmlformats.org/package/2006/content-types\"/>".utf8)),
            ("xl/workbook.xml", Data("""
                <?xml version="1.0"?><workbook xmlns="\(ns)" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">\
                <sheets><sheet name="Fleet" sheetId="1" r:id="rId7"/></sheets></workbook>
                """.utf8)),
            ("xl/_rels/workbook.xml.rels", Data("""
                <?xml version="1.0"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">\
                <Relationship Id="rId7" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/data.xml"/>\
                <Relationship Id="rId8" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/sharedStrings" Target="sharedStrings.xml"/>\
                </Relationships>
                """.utf8)),
            ("xl/worksheets/data.xml", Data("""
                <?xml version="1.0"?><worksheet xmlns="\(ns)"><sheetData>\(body)</sheetData>\(mergeCells)</worksheet>
                """.utf8)),
        ]
        if let sharedStrings {
            let items = sharedStrings.map { $0.hasPrefix("<") ? "<si>\($0)</si>" : "<si><t>\($0)</t></si>" }.joined()
            parts.append(("xl/sharedStrings.xml", Data("<?xml version=\"1.0\"?><sst xmlns=\"\(ns)\">\(items)</sst>".utf8)))
        }
        return try zip(parts)
    }

    package static func zip(_ parts: [(String, Data)], compression: CompressionMethod = .deflate) throws -> Data {
        let archive = try Archive(accessMode: .create)
        for (path, bytes) in parts {
            try archive.addEntry(with: path, type: .file, uncompressedSize: Int64(bytes.count),
                                 compressionMethod: compression) { pos, size in
                bytes.subdata(in: Int(pos)..<Int(pos) + size)
            }
        }
        return archive.data!
    }

    /// A workbook whose sheet entry inflates to `size` bytes of zeros (about 300 KB compressed for 300 MiB).
    package static func bomb(size: Int64) throws -> Data {
        let archive = try Archive(accessMode: .create)
        let wb = Data("<?xml version=\"1.0\"?><workbook xmlns=\"\(ns)\"><sheets><sheet name=\"a\" sheetId=\"1\"/></sheets></workbook>".utf8)
        try archive.addEntry(with: "xl/workbook.xml", type: .file, uncompressedSize: Int64(wb.count),
                             compressionMethod: .deflate) { pos, size in wb.subdata(in: Int(pos)..<Int(pos) + size) }
        let chunk = Data(count: 1 << 20)
        try archive.addEntry(with: "xl/worksheets/sheet1.xml", type: .file, uncompressedSize: size,
                             compressionMethod: .deflate, bufferSize: 1 << 20) { _, n in
            n == chunk.count ? chunk : Data(count: n)
        }
        return archive.data!
    }

    /// Rewrites every declared uncompressed size equal to `from` into `to` (local and central headers).
    package static func lie(_ zip: Data, from: UInt32, to: UInt32) -> Data {
        var b = [UInt8](zip)
        func u32(_ i: Int) -> UInt32 { UInt32(b[i]) | UInt32(b[i+1]) << 8 | UInt32(b[i+2]) << 16 | UInt32(b[i+3]) << 24 }
        func put(_ i: Int, _ v: UInt32) { for k in 0..<4 { b[i + k] = UInt8((v >> (8 * UInt32(k))) & 0xFF) } }
        var i = 0
        while i + 46 < b.count {
            if b[i] == 0x50, b[i+1] == 0x4B {
                if b[i+2] == 3, b[i+3] == 4, u32(i + 22) == from { put(i + 22, to) }
                if b[i+2] == 1, b[i+3] == 2, u32(i + 24) == from { put(i + 24, to) }
            }
            i += 1
        }
        return Data(b)
    }
}
