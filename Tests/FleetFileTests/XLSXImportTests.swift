import Foundation
import TestSupport
import Testing
@testable import FleetFile

@Suite("XLSX import")
struct XLSXImportTests {
    static let header = #"<row r="1"><c r="A1" t="s"><v>0</v></c><c r="B1" t="s"><v>1</v></c><c r="C1" t="s"><v>2</v></c></row>"#
    static let strings = ["IP주소", "카메라명", "점검주기"]

    @Test("shared strings, rich text runs, inline strings, numbers and booleans are read")
    func cellTypes() throws {
        let sheet = #"<row r="1"><c r="A1" t="s"><v>0</v></c><c r="B1" t="s"><v>1</v></c><c r="C1" t="s"><v>2</v></c><c r="D1" t="s"><v>3</v></c><c r="AB1" t="inlineStr"><is><t>위도</t></is></c><c r="AC1" t="inlineStr"><is><r><t>경</t></r><r><t>도</t></r></is></c></row>"#
            + #"<row r="2"><c r="A2" t="s"><v>4</v></c><c r="B2" t="s"><v>5</v></c><c r="C2"><v>60</v></c><c r="D2" t="b"><v>0</v></c><c r="AB2"><v>37.566535000000002</v></c><c r="AC2"><v>1.26978E2</v></c></row>"#
        let data = try XLSXFixture.workbook(sheetXML: sheet, sharedStrings: [
            "IP주소", "카메라명", "점검주기", "사용여부", "10.0.0.1",
            "<r><rPr><b/></rPr><t>정문</t></r><r><t xml:space=\"preserve\"> 카메라</t></r><rPh sb=\"0\" eb=\"1\"><t>ジョウモン</t></rPh>",
        ])
        let r = try FleetFileParser.parse(data: data, filename: "fleet.xlsx")
        #expect(r.format == .xlsx)
        #expect(r.rejected.isEmpty)
        let row = try #require(r.rows.first)
        #expect(row.name == "정문 카메라")
        #expect(row.intervalSeconds == 60)
        #expect(row.enabled == false)
        #expect(row.latitude == 37.566535)
        #expect(row.longitude == 126.978)
        #expect(r.columns[.latitude] == "위도")
    }

    @Test("cell references convert to column indexes")
    func references() {
        #expect(ColumnName.parseReference("A1")! == (0, 1))
        #expect(ColumnName.parseReference("AB12")! == (27, 12))
        #expect(ColumnName.parseReference("$XFD$1048576")! == (16383, 1_048_576))
        #expect(ColumnName.parseReference("XFE1") == nil)
        #expect(ColumnName.parseReference("1A") == nil)
        #expect(ColumnName.letters(27) == "AB")
        #expect(ColumnName.letters(16383) == "XFD")
    }

    @Test("integers render without .0 and decimals in shortest form")
    func numbers() {
        #expect(SheetHandler.renderNumber("60") == "60")
        #expect(SheetHandler.renderNumber("60.0") == "60")
        #expect(SheetHandler.renderNumber("1E+3") == "1000")
        #expect(SheetHandler.renderNumber("126.97799999999999") == "126.978")
    }

    @Test("a formula cell is rejected as formula_cell even with a cached value, telling the operator to paste values")
    func formula() throws {
        let sheet = Self.header
            + #"<row r="2"><c r="A2" t="str"><f>Sheet2!A1</f><v>10.0.0.1</v></c><c r="B2" t="inlineStr"><is><t>a</t></is></c></row>"#
            + #"<row r="3"><c r="A3" t="inlineStr"><is><t>10.0.0.3</t></is></c><c r="C3"><f>30*2</f><v>60</v></c></row>"#
            + #"<row r="4"><c r="A4" t="inlineStr"><is><t>10.0.0.4</t></is></c><c r="D4"><f>1+1</f><v>2</v></c><c r="B4" t="e"><v>#REF!</v></c></row>"#
        let r = try FleetFileParser.parse(data: try XLSXFixture.workbook(sheetXML: sheet, sharedStrings: Self.strings), filename: "f.xlsx")
        #expect(r.rows.isEmpty)
        #expect(r.rejected.map { "\($0.row)\($0.columnLetter!) \($0.reason.rawValue)" } == ["2A formula_cell", "3C formula_cell", "4B error_cell"])
        #expect(r.rejected[0].message.contains("Paste Special"))
    }

    @Test("merged cells over the data are refused, naming the range")
    func merged() throws {
        let sheet = Self.header + #"<row r="2"><c r="A2" t="inlineStr"><is><t>10.0.0.1</t></is></c></row><row r="3"/>"#
        let data = try XLSXFixture.workbook(sheetXML: sheet, sharedStrings: Self.strings,
                                            mergeCells: #"<mergeCells count="1"><mergeCell ref="B2:B3"/></mergeCells>"#)
        let e = FleetFileParser.failure(data, "m.xlsx")
        #expect(e?.code == .mergedCells)
        #expect(e?.message.contains("B2:B3") == true)
        let below = try XLSXFixture.workbook(sheetXML: sheet, sharedStrings: Self.strings,
                                             mergeCells: #"<mergeCells count="1"><mergeCell ref="A10:C10"/></mergeCells>"#)
        #expect(FleetFileParser.failure(below, "m.xlsx") == nil)
    }

    @Test("an empty first sheet is refused as empty_sheet")
    func emptySheet() throws {
        let data = try XLSXFixture.workbook(sheetXML: #"<row r="1"><c r="A1" t="s"><v></v></c></row>"#)
        #expect(FleetFileParser.failure(data, "e.xlsx")?.code == .emptySheet)
    }

    @Test("a header-only sheet imports nothing and warns")
    func headerOnly() throws {
        let r = try FleetFileParser.parse(data: try XLSXFixture.workbook(sheetXML: Self.header, sharedStrings: Self.strings), filename: "h.xlsx")
        #expect(r.rows.isEmpty)
        #expect(r.warnings.map(\.code) == [.noDataRows])
    }

    @Test("a text file named .xlsx is refused as not_xlsx")
    func notZip() {
        #expect(FleetFileParser.failure(csv("ip\n10.0.0.1\n"), "fleet.xlsx")?.code == .notXLSX)
    }

    @Test("a zip without xl/workbook.xml is refused as not_xlsx")
    func zipWithoutWorkbook() throws {
        let data = try XLSXFixture.zip([("word/document.xml", Data("<w/>".utf8))])
        #expect(FleetFileParser.failure(data, "fleet.xlsx")?.code == .notXLSX)
    }

    @Test("XML with a DOCTYPE (entity expansion) is refused")
    func doctype() throws {
        let data = try XLSXFixture.zip([
            ("xl/workbook.xml", Data(#"<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaa">]><workbook/>"#.utf8)),
        ])
        #expect(FleetFileParser.failure(data, "x.xlsx")?.code == .xlsxMalformed)
    }

    /// A workbook whose sheet really inflates to 8 MiB of zeros (8 KB compressed), made to declare
    /// 300 MiB. Compressing a real 300 MiB took 8 s of one core here and ~40 s on CI, inside a
    /// `static let` whose first use blocks every test thread touching it: with two such tests on a
    /// 2-core runner the whole cooperative pool waited, and unrelated tests' 30 s waits ran out.
    /// Refusing it from the declared size proves the reader does not inflate first: inflated, it
    /// would be 8 MiB, under every limit.
    static func bomb() throws -> Data {
        XLSXFixture.lie(try XLSXFixture.bomb(size: 8 << 20), from: 8 << 20, to: 300 << 20)
    }

    @Test("a zip bomb declaring 300 MiB is refused from its declared size, before inflating")
    func zipBombDeclared() throws {
        let e = FleetFileParser.failure(try Self.bomb(), "bomb.xlsx")
        #expect(e?.code == .zipBomb)
        #expect(e?.message.contains("would unpack to 314572800 bytes") == true, "\(e?.message ?? "")")
    }

    @Test("a zip bomb that lies about its size is stopped while inflating")
    func zipBombLying() throws {
        let lying = XLSXFixture.lie(try XLSXFixture.bomb(size: 8 << 20), from: 8 << 20, to: 4096)
        let e = FleetFileParser.failure(lying, "bomb.xlsx")
        #expect(e?.code == .zipBomb)
        #expect(e?.message.contains("stopped unpacking") == true)
        #expect(e?.message.contains("(4096 bytes)") == true)
    }
}
