import CCTVContract
import Foundation
import Testing
@testable import Prober

/// Reading ONVIF event replies as cameras word them (other prefixes, `IsTamper`, topics to drop)
/// and keeping every address a camera names on the registered host.
@Suite("ONVIF event replies")
struct ONVIFEventParsingTests {
    static let reply = """
        <?xml version="1.0" encoding="UTF-8"?>
        <SOAP-ENV:Envelope xmlns:SOAP-ENV="http://www.w3.org/2003/05/soap-envelope" xmlns:wsnt="http://docs.oasis-open.org/wsn/b-2"
          xmlns:tev="http://www.onvif.org/ver10/events/wsdl" xmlns:tt="http://www.onvif.org/ver10/schema" xmlns:tns1="http://www.onvif.org/ver10/topics">
        <SOAP-ENV:Body><tev:PullMessagesResponse><tev:CurrentTime>2026-12-01T00:00:00Z</tev:CurrentTime>
        <tev:TerminationTime>2026-12-01T00:01:00.500Z</tev:TerminationTime>
        <wsnt:NotificationMessage><wsnt:Topic Dialect="http://www.onvif.org/ver10/tev/topicExpression/ConcreteSet">tns1:RuleEngine/TamperDetector/Tamper</wsnt:Topic>
          <wsnt:Message><tt:Message UtcTime="2026-12-01T00:00:00Z" PropertyOperation="Changed">
            <tt:Source><tt:SimpleItem Name="VideoSourceConfigurationToken" Value="VideoSourceToken"/><tt:SimpleItem Name="Rule" Value="MyTamperDetectorRule"/></tt:Source>
            <tt:Data><tt:SimpleItem Name="IsTamper" Value="true"/></tt:Data></tt:Message></wsnt:Message></wsnt:NotificationMessage>
        <wsnt:NotificationMessage><wsnt:Topic>tns1:RuleEngine/CellMotionDetector/Motion</wsnt:Topic>
          <wsnt:Message><tt:Message UtcTime="2026-12-01T00:00:00Z"><tt:Data><tt:SimpleItem Name="IsMotion" Value="true"/></tt:Data></tt:Message></wsnt:Message></wsnt:NotificationMessage>
        <wsnt:NotificationMessage><wsnt:Topic>tns1:VideoSource/SignalLoss</wsnt:Topic>
          <wsnt:Message><tt:Message UtcTime="2026-12-01T00:00:01Z" PropertyOperation="Initialized">
            <tt:Source><tt:SimpleItem Name="Source" Value="VideoSource_1"/></tt:Source><tt:Data><tt:SimpleItem Name="State" Value="false"/></tt:Data>
          </tt:Message></wsnt:Message></wsnt:NotificationMessage>
        </tev:PullMessagesResponse></SOAP-ENV:Body></SOAP-ENV:Envelope>
        """

    @Test("tamper (IsTamper) and signal loss (State) are read, motion is dropped, times with or without fractions")
    func readsEvents() throws {
        let envelope = try SOAPMessage.parse(Data(Self.reply.utf8))
        let response = try #require(envelope.find("PullMessagesResponse"))
        let events = response.all("NotificationMessage").compactMap(ONVIFChecker.event)
        #expect(events.map(\.kind) == [.tamper, .signalLoss])
        #expect(events[0].active && events[0].operation == "Changed" && events[0].source == "VideoSourceToken")
        #expect(!events[1].active && events[1].operation == "Initialized" && events[1].source == "VideoSource_1")
        #expect(events[1].cameraTime == Date(timeIntervalSince1970: 1_796_083_201))
        #expect(response.value("TerminationTime").flatMap(ONVIFChecker.dateTime) == Date(timeIntervalSince1970: 1_796_083_260.5))
    }

    @Test("an address the camera names keeps the registered scheme, host and port: only its path is taken")
    func reaimed() {
        let device = URL(string: "http://127.0.0.1:8899/onvif/device_service")!
        #expect(ONVIFChecker.reaimed("http://192.168.0.64/onvif/pullpoint/3?sub=1", at: device)?.absoluteString == "http://127.0.0.1:8899/onvif/pullpoint/3?sub=1")
        #expect(ONVIFChecker.reaimed("http://user:pw@169.254.169.254:80/latest", at: device)?.absoluteString == "http://127.0.0.1:8899/latest")
        #expect(ONVIFChecker.duration(.seconds(60)) == "PT60S" && ONVIFChecker.duration(.milliseconds(200)) == "PT1S")
    }
}
