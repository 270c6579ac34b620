import ServiceRuntime
import Testing

@Suite("the health endpoint's report with a service on standby")
struct HealthBoardStandbyTests {
    @Test("a standby service's checks are set aside: the process is healthy with status standby, and failing again once it leads unconnected")
    func standby() {
        let board = HealthBoard()
        board.register("issues broker") { false }
        #expect(board.report().status == "failing")
        board.setStandby("issues", true)
        #expect(board.report().status == "standby" && board.report().checks.isEmpty && board.report().standby == ["issues"])
        #expect(board.report().healthy)
        board.register("registry broker") { true }
        #expect(board.report().status == "ok" && board.report().checks == ["registry broker": true] && board.report().standby == ["issues"])
        board.setStandby("issues", false)
        #expect(board.report().status == "failing")
        // Leading again makes a new bus, which registers its check again under the same name: replaced, not added.
        board.register("issues broker") { true }
        #expect(board.report().status == "ok" && board.report().checks == ["issues broker": true, "registry broker": true])
        #expect(board.report().standby == nil)
    }
}
