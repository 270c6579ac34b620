import CCTVContract
import Foundation
import MQTTBus
import ServiceRuntime

/// Camera notices: the prober's ONVIF results (`cctv/+/onvif`: a clock off, then right again), its
/// ONVIF events (`cctv/+/onvif-event`: signal lost / back, tampering / over) and the registry's
/// `camera.device_changed` (`registry/device-changes`: replaced, firmware) become notices to the camera's vendor team and the operators, once per change. The cameras'
/// definitions (`cctv/+/config`, retained) say whose camera it is; they arrive on the same
/// subscription, in order, ahead of the results.
extension NotifierService {
    /// Takes camera definitions, ONVIF results and events, and device changes until the subscription ends.
    func watchCameras(_ messages: MQTTSubscription, decoder: MessageDecoder, dispatcher: DeliveryDispatcher) async {
        let topics = context.topics
        let definitions = DefinitionReader(decoder: decoder)
        var cameras: [String: NoticeCamera] = [:]
        var told: [String: [String: ToldCondition]]
        do {
            told = try store.conditionsTold()
        } catch {
            logger.error("could not read the camera conditions told: their end may not be told", metadata: ["error": "\(error)"])
            told = [:]
        }
        for await message in messages {
            if message.topic == topics.deviceChanges {
                guard let envelope = decoder.decode(message, as: CameraDeviceChange.self, expecting: [.cameraDeviceChanged]) else { continue }
                await tell(CameraNotice(envelope.data, eventID: envelope.id), dispatcher: dispatcher)
                continue
            }
            guard let cameraID = topics.cameraID(in: message.topic) else { continue }
            if message.topic == topics.config(cameraID) {
                if message.payload.isEmpty {
                    // Deleted: nothing of it is told any more, so nothing it started is kept.
                    cameras[cameraID] = nil
                    if told.removeValue(forKey: cameraID) != nil {
                        do { try await store.forgetConditions(of: cameraID) } catch {
                            logger.warning("could not forget a deleted camera's conditions", metadata: ["camera": "\(cameraID)", "error": "\(error)"])
                        }
                    }
                } else if let envelope = definitions.definition(message), envelope.data.id == cameraID {
                    // Only a camera with an ONVIF address has ONVIF results to tell of. Keeping every
                    // camera cost 12.6 MB at 50,000 cameras (heaptrack of `serve`, 2026-12-01).
                    cameras[cameraID] = envelope.data.checks?.onvifURL != nil ? NoticeCamera(envelope.data) : nil
                }
                continue
            }
            // A camera not (or no longer) defined is nobody's to tell: its next check is judged once it is.
            let next: (ToldCondition?, CameraNotice?)
            if message.topic == topics.onvif(cameraID) {
                guard let envelope = decoder.decode(message, as: ONVIFResult.self, expecting: [.probeONVIF]), envelope.data.cameraID == cameraID,
                      let camera = cameras[cameraID] else { continue }
                next = ClockNoticeRule.observe(envelope.data, told: told[cameraID]?["clock"], camera: camera)
            } else if message.topic == topics.onvifEvent(cameraID) {
                guard let envelope = decoder.decode(message, as: ONVIFEventResult.self, expecting: [.probeONVIFEvent]), envelope.data.cameraID == cameraID,
                      let camera = cameras[cameraID] else { continue }
                let condition = envelope.data.kind == .signalLoss ? "signal" : "tamper"
                next = ONVIFEventNoticeRule.observe(envelope.data, told: told[cameraID]?[condition], camera: camera)
            } else {
                continue
            }
            guard let notice = next.1 else { continue }
            if await tell(notice, dispatcher: dispatcher) { told[cameraID, default: [:]][notice.subject.topic] = next.0 }
        }
    }

    /// Queues `notice` for its recipients; returns whether it was recorded.
    @discardableResult
    func tell(_ notice: CameraNotice, dispatcher: DeliveryDispatcher) async -> Bool {
        let recipients = NotificationDecision.recipients(of: notice, routing: routing)
        do {
            let queued = try await store.queue(notice, recipients: recipients, policy: policy)
            logger.notice("camera notice", metadata: ["camera": "\(notice.camera.id)", "event": "\(notice.subject.rawValue)", "deliveries": "\(queued)"])
            if queued > 0 { dispatcher.kick() }
            return true
        } catch {
            logger.error("could not queue a camera notice", metadata: ["camera": "\(notice.camera.id)", "event": "\(notice.subject.rawValue)", "error": "\(error)"])
            return false
        }
    }
}
