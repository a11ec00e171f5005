import HookSyncConfig
import Testing

@Suite("Network ranges")
struct IPNetworkTests {
    @Test func matchesByPrefix() throws {
        #expect(IPNetwork("10.0.0.0/8")!.contains("10.200.3.4"))
        #expect(!IPNetwork("10.0.0.0/8")!.contains("11.0.0.1"))
        #expect(IPNetwork("192.168.1.0/25")!.contains("192.168.1.127"))
        #expect(!IPNetwork("192.168.1.0/25")!.contains("192.168.1.128"))
        #expect(IPNetwork("::1/128")!.contains("::1"))
        #expect(IPNetwork("10.0.0.0/8")!.contains("::ffff:10.1.2.3"))
        #expect(!IPNetwork("2001:db8::/32")!.contains("10.1.2.3"))
        #expect(IPNetwork("2001:db8::/32")!.contains("2001:db8:ffff::1"))
        #expect(IPNetwork("0.0.0.0/0")!.contains("8.8.8.8"))
    }

    /// The black-box review's entries: each once passed `config check` and was then dropped by ingest,
    /// leaving an empty allowlist that let every address in.
    @Test(arguments: [
        "2001:db8::g/32", "gggg::/0", "::g/0", "2001:db8:::1/32", "1:2:3:4:5:6:7:8:9/64",
        "10.0.0.0/33", "::/129", "nonsense/8", "10.0.0.0", "10.0.0.0/", "10.0.0.0/+8", "10.0.0.0/-0", "10.1/8", "10.0.0.0/8/8",
    ])
    func refusesWhatIsNotARange(_ text: String) {
        #expect(IPNetwork(text) == nil)
    }

    @Test(arguments: ["2001:db8::g/32", "gggg::/0", "::g/0", "2001:db8:::1/32", "1:2:3:4:5:6:7:8:9/64"])
    func configRefusesAnInvalidRangeRatherThanDroppingIt(_ text: String) {
        let yaml = """
            sources:
              - { name: p, kind: precoro, webhook_token: a-long-enough-token, api: { email: e, token: t }, allow_cidrs: ["10.0.0.0/8", "\(text)"] }
            """
        do {
            _ = try ConfigLoader(environment: [:]).parse(yaml: yaml)
            Issue.record("\(text) was accepted")
        } catch ConfigError.invalid(_, let problems) {
            #expect(problems.contains { $0.hasPrefix("sources[0].allow_cidrs[1]: \"\(text)\" is not an address/prefix") }, "\(problems)")
        } catch {
            Issue.record("unexpected \(error)")
        }
    }

    @Test func configKeepsEveryValidRange() throws {
        let config = try ConfigLoader(environment: [:]).parse(yaml: """
            sources:
              - { name: p, kind: precoro, webhook_token: a-long-enough-token, api: { email: e, token: t }, allow_cidrs: ["10.0.0.0/8", "2001:db8::/32"] }
            """)
        #expect(config.sources[0].allowCIDRs.map(\.description) == ["10.0.0.0/8", "2001:db8::/32"])
    }
}
