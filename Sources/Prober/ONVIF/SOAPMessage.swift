import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif

/// SOAP 1.2 envelopes for the ONVIF device service: building requests and reading replies.
///
/// A reply is untrusted input: at most ``maxBytes`` (the caller's fetch cap), no DTD at all (SOAP
/// 1.2 forbids one, so no entity tricks reach the parser), at most ``maxElements`` elements nested at
/// most ``maxDepth`` deep, text per element cut at 4 KiB. Element names are compared without their
/// namespace prefix (`tt:Year` and `Year` are the same): cameras pick prefixes freely.
enum SOAPMessage {
    static let contentType = "application/soap+xml; charset=utf-8"
    static let maxElements = 4_096
    static let maxDepth = 48

    /// A request for the ONVIF device service (`tds`), with a WS-Security header when signed.
    static func request(_ operation: String, token: WSUsernameToken? = nil) -> Data {
        let header = token.map { "<s:Header>\($0.header)</s:Header>" } ?? ""
        return Data("""
            <?xml version="1.0" encoding="UTF-8"?>\
            <s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope">\(header)\
            <s:Body><tds:\(operation) xmlns:tds="http://www.onvif.org/ver10/device/wsdl"/></s:Body></s:Envelope>
            """.utf8)
    }

    /// A request with `body` (one element, its namespaces declared on it) and a header carrying
    /// WS-Addressing `Action` and `To` (the event service's subscription calls need them) and the
    /// WS-Security token when signed.
    static func request(body: String, token: WSUsernameToken?, action: String, to: String?) -> Data {
        let addressing = "<wsa:Action>\(escape(action))</wsa:Action>" + (to.map { "<wsa:To>\(escape($0))</wsa:To>" } ?? "")
        return Data("""
            <?xml version="1.0" encoding="UTF-8"?>\
            <s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope" xmlns:wsa="http://www.w3.org/2005/08/addressing">\
            <s:Header>\(addressing)\(token?.header ?? "")</s:Header><s:Body>\(body)</s:Body></s:Envelope>
            """.utf8)
    }

    /// XML text escaping for element content and attribute values.
    static func escape(_ text: String) -> String {
        var out = ""
        for character in text {
            switch character {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&apos;"
            default: out.append(character)
            }
        }
        return out
    }

    /// Why a reply could not be read.
    struct Malformed: Error, Equatable, CustomStringConvertible {
        var description: String
    }

    /// Parses a reply into an element tree.
    static func parse(_ data: Data) throws(Malformed) -> SOAPElement {
        if data.range(of: Data("<!DOCTYPE".utf8)) != nil || data.range(of: Data("<!ENTITY".utf8)) != nil {
            throw Malformed(description: "the reply carries a DTD, which SOAP forbids")
        }
        let builder = TreeBuilder()
        let parser = XMLParser(data: data)
        parser.shouldResolveExternalEntities = false
        parser.shouldProcessNamespaces = false
        parser.delegate = builder
        let ok = parser.parse()
        if let failure = builder.failure { throw Malformed(description: failure) }
        guard ok, let root = builder.root else {
            throw Malformed(description: "not well-formed XML" + (parser.parserError.map { ": \($0.localizedDescription)" } ?? ""))
        }
        return root
    }

    /// A SOAP fault in `envelope`: its code, subcode (e.g. `ter:NotAuthorized`) and reason text.
    struct Fault: Equatable {
        var code: String?
        var subcode: String?
        var reason: String?

        /// ONVIF's "the credentials were refused" (`ter:NotAuthorized`, or a sender fault about them).
        var isNotAuthorized: Bool {
            let words = [subcode, code, reason].compactMap { $0?.lowercased() }
            return words.contains { $0.contains("notauthorized") || $0.contains("not authorized") || $0.contains("failedauthentication") }
        }

        var description: String {
            [subcode ?? code, reason].compactMap { $0 }.joined(separator: ": ")
        }
    }

    static func fault(in envelope: SOAPElement) -> Fault? {
        guard let fault = envelope.first("Body")?.first("Fault") else { return nil }
        // SOAP 1.2: Code/Value, Code/Subcode/Value, Reason/Text; SOAP 1.1: faultcode, faultstring.
        let code = fault.first("Code")?.first("Value")?.text ?? fault.first("faultcode")?.text
        let subcode = fault.first("Code")?.first("Subcode")?.first("Value")?.text
        let reason = fault.first("Reason")?.first("Text")?.text ?? fault.first("faultstring")?.text
        return Fault(code: code, subcode: subcode, reason: reason.map { String($0.prefix(200)) })
    }

    /// Collects the element tree with the bounds above.
    private final class TreeBuilder: NSObject, XMLParserDelegate {
        var root: SOAPElement?
        var stack: [SOAPElement] = []
        var count = 0
        var failure: String?

        func parser(_ parser: XMLParser, didStartElement elementName: String, namespaceURI: String?, qualifiedName: String?,
                    attributes: [String: String] = [:]) {
            count += 1
            guard count <= SOAPMessage.maxElements, stack.count < SOAPMessage.maxDepth else {
                failure = "the reply has more than \(SOAPMessage.maxElements) elements or nests deeper than \(SOAPMessage.maxDepth)"
                parser.abortParsing()
                return
            }
            let local = elementName.split(separator: ":").last.map(String.init) ?? elementName
            let element = SOAPElement(name: local)
            // Attributes by local name (`Name`, `Value`, `UtcTime` of event messages), a few, each cut at 200 characters.
            for (name, value) in attributes.prefix(16) where !name.hasPrefix("xmlns") {
                element.attributes[name.split(separator: ":").last.map(String.init) ?? name] = String(value.prefix(200))
            }
            stack.append(element)
        }

        func parser(_ parser: XMLParser, foundCharacters string: String) {
            guard let top = stack.last, top.text.utf8.count < 4_096 else { return }
            top.text += string
        }

        func parser(_ parser: XMLParser, didEndElement elementName: String, namespaceURI: String?, qualifiedName: String?) {
            guard let node = stack.popLast() else { return }
            node.text = node.text.trimmingCharacters(in: .whitespacesAndNewlines)
            if let parent = stack.last { parent.children.append(node) } else { root = node }
        }
    }
}

/// One element of a parsed reply: its name without prefix, its text, its children.
final class SOAPElement {
    let name: String
    var text = ""
    /// Attributes by local name.
    var attributes: [String: String] = [:]
    var children: [SOAPElement] = []

    init(name: String) { self.name = name }

    /// The first child called `name`.
    func first(_ name: String) -> SOAPElement? { children.first { $0.name == name } }

    /// Every element called `name` anywhere below (depth first).
    func all(_ name: String) -> [SOAPElement] {
        children.flatMap { ($0.name == name ? [$0] : []) + $0.all(name) }
    }

    /// The first element called `name` anywhere below (depth first).
    func find(_ name: String) -> SOAPElement? {
        for child in children {
            if child.name == name { return child }
            if let found = child.find(name) { return found }
        }
        return nil
    }

    /// The text of the child called `name`, or nil when it is missing or empty.
    func value(_ name: String) -> String? {
        first(name).map(\.text).flatMap { $0.isEmpty ? nil : String($0.prefix(200)) }
    }
}
