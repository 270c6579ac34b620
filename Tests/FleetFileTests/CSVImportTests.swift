import Foundation
import Testing
@testable import FleetFile

@Suite("CSV import")
struct CSVImportTests {
    /// `이름,IP주소,설치장소,태그` + 2 rows, encoded by `iconv -t CP949` (what Korean Excel saves as "CSV").
    static let cp949: [UInt8] = [
        0xC0, 0xCC, 0xB8, 0xA7, 0x2C, 0x49, 0x50, 0xC1, 0xD6, 0xBC, 0xD2, 0x2C, 0xBC, 0xB3, 0xC4, 0xA1, 0xC0, 0xE5,
        0xBC, 0xD2, 0x2C, 0xC5, 0xC2, 0xB1, 0xD7, 0x0D, 0x0A, 0xC1, 0xA4, 0xB9, 0xAE, 0x20, 0xC4, 0xAB, 0xB8, 0xDE,
        0xB6, 0xF3, 0x2C, 0x31, 0x30, 0x2E, 0x30, 0x2E, 0x30, 0x2E, 0x31, 0x2C, 0xBC, 0xAD, 0xBF, 0xEF, 0x20, 0xC1,
        0xDF, 0xB1, 0xB8, 0x2C, 0x22, 0xC1, 0xA4, 0xB9, 0xAE, 0x2C, 0xBE, 0xDF, 0xB0, 0xA3, 0x22, 0x0D, 0x0A, 0xC8,
        0xC4, 0xB9, 0xAE, 0x2C, 0x31, 0x30, 0x2E, 0x30, 0x2E, 0x30, 0x2E, 0x32, 0x2C, 0xBA, 0xCE, 0xBB, 0xEA, 0x20,
        0xC7, 0xD8, 0xBF, 0xEE, 0xB4, 0xEB, 0xB1, 0xB8, 0x2C, 0x0D, 0x0A,
    ]

    @Test("a CP949 CSV from Korean Excel imports with Hangul intact")
    func cp949Import() throws {
        let r = try FleetFileParser.parse(data: Data(Self.cp949), filename: "cameras.csv")
        #expect(r.encoding == .cp949)
        #expect(r.rejected.isEmpty)
        #expect(r.rows.count == 2)
        #expect(r.rows[0].name == "정문 카메라")
        #expect(r.rows[0].site == "서울 중구")
        #expect(r.rows[0].tags == ["정문", "야간"])
        #expect(r.rows[1].site == "부산 해운대구")
        #expect(r.warnings.contains { $0.code == .decodedCP949 })
    }

    @Test("a UTF-8 CSV with BOM keeps its first header and Hangul")
    func utf8BOM() throws {
        let r = try FleetFileParser.parse(data: Data([0xEF, 0xBB, 0xBF]) + csv("ip,name\n10.1.1.1,정문\n"), filename: "x.csv")
        #expect(r.encoding == .utf8BOM)
        #expect(r.columns[.address] == "ip")
        #expect(r.rows.first?.name == "정문")
    }

    @Test("UTF-16LE text with BOM (Excel 'Unicode text', tab separated) imports")
    func utf16() throws {
        var d = Data([0xFF, 0xFE])
        for u in "IP주소\t이름\r\n10.0.0.9\t후문\r\n".utf16 { d.append(UInt8(u & 0xFF)); d.append(UInt8(u >> 8)) }
        let r = try FleetFileParser.parse(data: d, filename: "x.txt")
        #expect(r.encoding == .utf16LE)
        #expect(r.delimiter == "\t")
        #expect(r.rows.first?.name == "후문")
    }

    @Test("quoted fields keep embedded newlines, quotes and delimiters; row numbers follow records")
    func quoting() throws {
        let text = "address,name,location\r\n10.0.0.1,\"Gate \"\"A\"\"\",\"line1\nline2, still\"\r\n10.0.0.x,bad,\r\n"
        let r = try FleetFileParser.parse(data: csv(text), filename: "a.csv")
        #expect(r.rows.count == 1)
        #expect(r.rows[0].name == "Gate \"A\"")
        #expect(r.rows[0].location == "line1\nline2, still")
        #expect(r.rejected.first?.row == 3)
    }

    @Test("a semicolon-delimited CSV (European Excel) is detected")
    func semicolon() throws {
        let r = try FleetFileParser.parse(data: csv("ip;name;lat;lon\n10.0.0.1;Cam, one;37,5;127\n10.0.0.2;Two;37.5;127.1\n"), filename: "a.csv")
        #expect(r.delimiter == ";")
        #expect(r.rows.count == 1)
        #expect(r.rows[0].address == "10.0.0.2")
        #expect(r.rejected.map(\.reason) == [.invalidLatitude])
        #expect(r.rejected.first?.row == 2)
    }

    @Test("Excel's sep= line sets the delimiter and is not counted as a row")
    func sepLine() throws {
        let r = try FleetFileParser.parse(data: csv("sep=|\nip|name\n10.0.0.1|a\n999.0.0.1|b\n"), filename: "a.csv")
        #expect(r.delimiter == "|")
        #expect(r.rejected.first?.row == 3)
    }

    @Test("Korean headers map to every canonical column")
    func koreanHeaders() throws {
        let text = "자산번호,카메라명,아이피,HLS주소,계정,비밀번호,현장,위치,위도,경도,구역,태그,회선담당,카메라업체,사용여부,점검주기(초),RTSP주소,ONVIF주소,화면점검,화면영역,이벤트감시\n"
            + "C-1,정문,cam01.example.kr,https://cam01.example.kr/live.m3u8,viewer,secret,본관,서울 중구,37.5665,126.978,1구역,a;b,KT,한화,미사용,120,rtsp://cam01.example.kr/ch1,http://cam01.example.kr/onvif/device_service,사용,\"0,0.1,1,0.9\",사용\n"
        let r = try FleetFileParser.parse(data: csv(text), filename: "k.csv")
        #expect(r.rejected.isEmpty)
        let row = try #require(r.rows.first)
        #expect(row == FleetRow(sourceRow: 2, id: "C-1", name: "정문", address: "cam01.example.kr", addressKind: .hostname,
                                hlsURL: URL(string: "https://cam01.example.kr/live.m3u8"), username: "viewer", password: "secret",
                                site: "본관", location: "서울 중구", latitude: 37.5665, longitude: 126.978, group: "1구역",
                                tags: ["a", "b"], lineTeam: "KT", vendor: "한화", enabled: false, intervalSeconds: 120,
                                rtspURL: URL(string: "rtsp://cam01.example.kr/ch1"),
                                onvifURL: URL(string: "http://cam01.example.kr/onvif/device_service"), picture: true, pictureCrop: "0,0.1,1,0.9",
                                onvifEvents: true))
        #expect(Set(r.columns.keys) == Set(FleetColumn.allCases))
    }

    @Test("headers match regardless of case, spaces, underscores and Unicode normalisation")
    func headerNormalisation() {
        #expect(FleetColumns.column(forHeader: " Asset ID ") == .id)
        #expect(FleetColumns.column(forHeader: "HLS_URL") == .hls)
        #expect(FleetColumns.column(forHeader: "ip 주소") == .address)
        #expect(FleetColumns.column(forHeader: "주소 (IP)") == .address)
        #expect(FleetColumns.column(forHeader: "주소") == .location)
        #expect(FleetColumns.column(forHeader: "IP주소".decomposedStringWithCanonicalMapping) == .address)
        #expect(FleetColumns.column(forHeader: "serial") == nil)
    }

    @Test("unknown columns produce a warning listing them, not an error")
    func unknownColumns() throws {
        let r = try FleetFileParser.parse(data: csv("ip,비고,Serial No\n10.0.0.1,메모,123\n"), filename: "a.csv")
        #expect(r.rows.count == 1)
        let w = try #require(r.warnings.first { $0.code == .unknownColumns })
        #expect(w.items == ["비고", "Serial No"])
    }

    @Test("a file without an address column is refused, naming the column and the headers found")
    func missingAddress() {
        let e = FleetFileParser.failure(csv("name,site\nA,B\n"), "a.csv")
        #expect(e?.code == .missingRequiredColumn)
        #expect(e?.message.contains("address") == true)
        #expect(e?.message.contains("'name', 'site'") == true)
    }

    @Test("two headers meaning the same column are refused")
    func duplicateColumn() {
        #expect(FleetFileParser.failure(csv("ip,IP주소\n1.1.1.1,1.1.1.2\n"), "a.csv")?.code == .duplicateColumn)
    }

    @Test("bad IP, URL, latitude and interval are each reported with the exact row and column")
    func cellErrors() throws {
        let text = """
        name,ip,hls,lat,lon,interval
        ok,10.0.0.1,http://10.0.0.1/a.m3u8,37.1,127.1,60
        badip,300.1.1.1,,,,
        short,1.2.3,,,,
        badurl,10.0.0.4,rtsp://10.0.0.4/live,,,
        badport,10.0.0.7,http://10.0.0.7:70000/live.m3u8,,,
        badlat,10.0.0.5,,91,127,
        badint,10.0.0.6,,,,5
        space,cam 01,,,,
        """
        let r = try FleetFileParser.parse(data: csv(text), filename: "a.csv")
        #expect(r.rows.map(\.name) == ["ok"])
        let got = r.rejected.map { "\($0.row) \($0.columnLetter ?? "-") \($0.column?.rawValue ?? "-") \($0.reason.rawValue)" }
        #expect(got == [
            "3 B address invalid_address",
            "4 B address invalid_address",
            "5 C hls invalid_hls_url",
            "6 C hls invalid_hls_url",
            "7 D latitude invalid_latitude",
            "8 F interval invalid_interval",
            "9 B address invalid_address",
        ])
        #expect(r.rejected[0].value == "300.1.1.1")
        #expect(r.rejected[0].header == "ip")
        #expect(r.rejected[0].message.hasPrefix("Row 3, column B (ip)"))
        #expect(r.rejected[3].message.contains("1–65535"), "the port is named: \(r.rejected[3].message)")
    }

    @Test("addresses: IPv4, IPv6 and host names are classified strictly")
    func addresses() {
        #expect(FleetValidation.address("192.168.0.1")?.kind == .ipv4)
        #expect(FleetValidation.address("2001:db8::1")?.kind == .ipv6)
        #expect(FleetValidation.address("[fe80::1]")?.address == "fe80::1")
        #expect(FleetValidation.address("cam-01.seoul.example.kr")?.kind == .hostname)
        for bad in ["300.1.1.1", "1.2.3", "1.2.3.4.5", "01.2.3.4", "cam 01", "10.0.0.x", "-cam.kr", "cam-.kr", "a..b", "카메라.kr", "::g", "10.0.0.1:554", ""] {
            #expect(FleetValidation.address(bad) == nil, "\(bad) should be rejected")
        }
    }

    @Test("the same address twice is reported on the later row naming the earlier one")
    func duplicateAddress() throws {
        let r = try FleetFileParser.parse(data: csv("id,ip\nA,10.0.0.1\nB,10.0.0.2\nC,10.0.0.1\nb,2001:db8::1\nE,2001:DB8:0::1\n"), filename: "a.csv")
        #expect(r.rows.map(\.id) == ["A", "B"])
        let dup = r.rejected.filter { $0.reason == .duplicateAddress }
        #expect(dup.map(\.row) == [4, 6])
        #expect(dup[0].message.contains("row 2"))
        let dupID = r.rejected.filter { $0.reason == .duplicateID }
        #expect(dupID.map(\.row) == [5])
        #expect(dupID[0].message.contains("row 3"))
    }

    @Test("a row without an address, and a lone latitude, are rejected")
    func missingValues() throws {
        let r = try FleetFileParser.parse(data: csv("ip,name,lat\n,only name,\n10.0.0.1,x,37\n"), filename: "a.csv")
        #expect(r.rejected.map(\.reason) == [.missingAddress, .coordinateIncomplete])
        #expect(r.rejected[1].column == .longitude)
    }

    @Test("enabled accepts Korean and English yes/no words and defaults to true")
    func enabledWords() throws {
        let r = try FleetFileParser.parse(data: csv("ip,사용\n10.0.0.1,사용\n10.0.0.2,미사용\n10.0.0.3,\n10.0.0.4,N\n10.0.0.5,maybe\n"), filename: "a.csv")
        #expect(r.rows.map(\.enabled) == [true, false, true, false])
        #expect(r.rejected.map(\.reason) == [.invalidEnabled])
    }

    @Test("an unterminated quote fails cleanly with the row where it opened")
    func unterminatedQuote() {
        let e = FleetFileParser.failure(csv("ip,name\n10.0.0.1,ok\n10.0.0.2,\"never closed\n10.0.0.3,x\n"), "a.csv")
        #expect(e?.code == .csvMalformed)
        #expect(e?.row == 3)
    }

    @Test("row and byte limits fail cleanly with the row number")
    func limits() {
        let body = "ip\n" + (1...20).map { "10.0.0.\($0)" }.joined(separator: "\n")
        let e = FleetFileParser.failure(csv(body), "a.csv", limits: .init(maxRows: 10))
        #expect(e?.code == .tooManyRows)
        #expect(e?.row == 12)
        #expect(FleetFileParser.failure(csv(body), "a.csv", limits: .init(maxBytes: 10))?.code == .fileTooLarge)
        #expect(FleetFileParser.failure(Data(), "a.csv")?.code == .emptyFile)
    }

    @Test("10 MB of random garbage fails with a clean error, as .csv and as .xlsx")
    func garbage() {
        var g = SystemRandomNumberGenerator()
        var bytes = [UInt8](repeating: 0, count: 10_000_000)
        for i in stride(from: 0, to: bytes.count, by: 8) {
            withUnsafeBytes(of: g.next()) { raw in for k in 0..<8 where i + k < bytes.count { bytes[i + k] = raw[k] } }
        }
        if bytes.starts(with: [0x50, 0x4B]) { bytes[0] = 0 }
        let data = Data(bytes)
        #expect(FleetFileParser.failure(data, "fleet.csv")?.code == .undecodableText)
        #expect(FleetFileParser.failure(data, "fleet.xlsx")?.code == .notXLSX)
        var zipped = data
        zipped.replaceSubrange(0..<4, with: [0x50, 0x4B, 0x03, 0x04])
        #expect(FleetFileParser.failure(zipped, "fleet.xlsx")?.code == .notXLSX)
    }

    @Test("a legacy .xls binary is refused with advice to save as .xlsx")
    func legacyXLS() {
        let ole = Data([0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1] + [UInt8](repeating: 0, count: 512))
        #expect(FleetFileParser.failure(ole, "old.xls")?.code == .unsupportedFormat)
    }
}
