import Foundation
import HookwireCore
import Testing

@Suite struct RetryScheduleTests {
    @Test func standardScheduleHasSevenDelays() {
        #expect(RetrySchedule.standard.delays == [5, 300, 1800, 7200, 18000, 36000, 36000])
        #expect(RetrySchedule.standard.maximumAttempts == 8)
    }

    @Test func jitterStaysWithinTwentyPercent() {
        let schedule = RetrySchedule.standard
        #expect(schedule.delay(afterAttempt: 1, random: { 0 }) == 240)
        #expect(schedule.delay(afterAttempt: 1, random: { 0.5 }) == 300)
        let highest = schedule.delay(afterAttempt: 1, random: { 0.999999 })!
        #expect(highest > 359.99)
        #expect(highest < 360)
    }

    @Test func exhaustedScheduleReturnsNil() {
        #expect(RetrySchedule.standard.delay(afterAttempt: 7, random: { 0.5 }) == nil)
        #expect(RetrySchedule(delays: []).delay(afterAttempt: 0, random: { 0.5 }) == nil)
    }

    @Test func retryAfterLongerThanDelayWins() {
        let schedule = RetrySchedule(delays: [5], jitter: 0, maximumRetryAfter: 600)
        #expect(schedule.delay(afterAttempt: 0, retryAfter: 120, random: { 0.5 }) == 120)
        #expect(schedule.delay(afterAttempt: 0, retryAfter: 2, random: { 0.5 }) == 5)
    }

    @Test func retryAfterIsCapped() {
        let schedule = RetrySchedule(delays: [5], jitter: 0, maximumRetryAfter: 600)
        #expect(schedule.delay(afterAttempt: 0, retryAfter: 86400, random: { 0.5 }) == 600)
    }
}

@Suite struct AttemptClassificationTests {
    @Test func everyTwoHundredIsSuccess() {
        for status: Int32 in [200, 201, 202, 204, 299] {
            #expect(AttemptClassification.classify(status: status, retryAfterHeader: nil, now: 0) == .success)
        }
    }

    @Test func redirectIsRetryableFailure() {
        for status: Int32 in [301, 302, 307, 308] {
            #expect(
                AttemptClassification.classify(status: status, retryAfterHeader: "5", now: 0)
                    == .retryable(retryAfter: nil))
        }
    }

    @Test func goneIsPermanent() {
        #expect(AttemptClassification.classify(status: 410, retryAfterHeader: nil, now: 0) == .permanent)
    }

    @Test func retryAfterSecondsHonouredForSlowDownStatuses() {
        for status: Int32 in [429, 502, 503, 504] {
            #expect(
                AttemptClassification.classify(status: status, retryAfterHeader: " 30 ", now: 0)
                    == .retryable(retryAfter: 30))
        }
        #expect(
            AttemptClassification.classify(status: 500, retryAfterHeader: "30", now: 0) == .retryable(retryAfter: nil))
    }

    @Test func retryAfterHTTPDateIsRelativeToNow() {
        // Sun, 06 Nov 1994 08:49:37 GMT is 784111777 seconds after 1970.
        let verdict = AttemptClassification.classify(
            status: 503, retryAfterHeader: "Sun, 06 Nov 1994 08:49:37 GMT", now: 784_111_700)
        #expect(verdict == .retryable(retryAfter: 77))
    }

    @Test func unreadableRetryAfterIsIgnored() {
        #expect(
            AttemptClassification.classify(status: 429, retryAfterHeader: "soon", now: 0) == .retryable(retryAfter: nil))
    }
}

@Suite struct AddressPolicyTests {
    let policy = AddressPolicy()

    @Test func privateAddressesAreRefused() throws {
        let refused = [
            "127.0.0.1", "10.1.2.3", "172.16.0.1", "172.31.255.255", "192.168.1.1", "169.254.169.254",
            "100.64.0.1", "100.127.255.254", "0.0.0.0", "224.0.0.1", "255.255.255.255", "::1", "::", "fc00::1",
            "fd12:3456::1", "fe80::1", "ff02::1", "::ffff:127.0.0.1", "::ffff:169.254.169.254", "::ffff:10.0.0.1",
        ]
        for text in refused {
            let address = try #require(IPAddressParser.parse(text), "\(text) should parse")
            #expect(policy.refusal(for: address) != nil, "\(text) should be refused")
        }
    }

    @Test func publicAddressesAreAllowed() throws {
        for text in ["93.184.216.34", "8.8.8.8", "172.32.0.1", "100.128.0.1", "2606:4700::1111", "::ffff:8.8.8.8"] {
            let address = try #require(IPAddressParser.parse(text))
            #expect(policy.refusal(for: address) == nil, "\(text) should be allowed")
        }
    }

    @Test func refusalNamesAddressAndSettings() throws {
        let message = try #require(policy.refusal(for: IPAddressParser.parse("169.254.169.254")!))
        #expect(message.contains("169.254.169.254"))
        #expect(message.contains("link-local"))
        #expect(message.contains("allowPrivateTargets"))
        #expect(message.contains("--allow-range 169.254.0.0/16"))
        #expect(message.contains("--allow-private-targets"))
    }

    @Test func ipv6AddressesUseShortestForm() throws {
        let cases = [
            ("::1", "::1"), ("::", "::"), ("fe80::1", "fe80::1"), ("2001:db8:0:0:1:0:0:1", "2001:db8::1:0:0:1"),
            ("2001:db8:0:1:1:1:1:1", "2001:db8:0:1:1:1:1:1"), ("fd00:0:0:0:0:0:0:0", "fd00::"),
            ("::ffff:10.0.0.1", "::ffff:10.0.0.1"),
        ]
        for (input, expected) in cases {
            #expect(IPAddressParser.format(try #require(IPAddressParser.parse(input))) == expected, "\(input)")
        }
    }

    @Test func allowPrivateTargetsAllowsEverything() throws {
        let open = AddressPolicy(allowPrivateTargets: true)
        #expect(open.refusal(for: IPAddressParser.parse("127.0.0.1")!) == nil)
        #expect(open.refusal(for: IPAddressParser.parse("fe80::1")!) == nil)
    }

    @Test func allowedRangeAllowsOnlyItsAddresses() throws {
        let loopback = AddressPolicy(allowedRanges: [try AddressRange("127.0.0.0/8")])
        #expect(loopback.refusal(for: IPAddressParser.parse("127.0.0.1")!) == nil)
        #expect(loopback.refusal(for: IPAddressParser.parse("::ffff:127.0.0.1")!) == nil)
        #expect(loopback.refusal(for: IPAddressParser.parse("10.0.0.1")!) != nil)
        #expect(loopback.refusal(for: IPAddressParser.parse("::1")!) != nil)
    }

    @Test func invalidRangeNamesTheText() {
        #expect(throws: HookwireError.self) { try AddressRange("127.0.0.0/33") }
        do {
            _ = try AddressRange("localhost/8")
            Issue.record("expected an error")
        } catch let error as HookwireError {
            #expect(error.code == .invalidArgument)
            #expect(error.message.contains("localhost/8"))
        } catch {
            Issue.record("unexpected error \(error)")
        }
    }

    @Test func ipv6ParsingHandlesCompression() throws {
        #expect(IPAddressParser.parse("::1") == [UInt8](repeating: 0, count: 15) + [1])
        #expect(IPAddressParser.parse("fe80::1:2")?.count == 16)
        #expect(IPAddressParser.parse("1::2::3") == nil)
        #expect(IPAddressParser.parse("256.0.0.1") == nil)
        #expect(IPAddressParser.format(IPAddressParser.parse("::ffff:10.0.0.1")!) == "::ffff:10.0.0.1")
    }
}

@Suite struct EventEnvelopeTests {
    let publication = EventPublication(
        event: "contact.created", primaryKey: 4711, changes: ["name", "department"],
        fieldValues: ["name": "Nordlys Fiskeri AS", "business_idx": 3], changedByAssociateId: 12,
        contextIdentifier: "Cust26759", data: .object(["source": "import"]))

    func body(properties: [String: JSONValue] = [:]) -> [String: Any] {
        let members = EventEnvelope.eventMembers(
            eventId: "7f1c7d3e-0000-4000-8000-000000000001", timestamp: Date(timeIntervalSince1970: 1_524_559_979.0005158),
            publication: publication)
        let bytes = EventEnvelope.body(
            eventMembers: members, data: publication.data.map { $0.serialized() }, webhookName: "ERP",
            properties: properties)
        return (try? JSONSerialization.jsonObject(with: Data(bytes))) as? [String: Any] ?? [:]
    }

    @Test func envelopeCarriesEveryField() {
        let json = body()
        #expect(json["EventId"] as? String == "7f1c7d3e-0000-4000-8000-000000000001")
        #expect(json["Event"] as? String == "contact.created")
        #expect(json["Entity"] as? String == "contact")
        #expect(json["PrimaryKey"] as? Int == 4711)
        #expect(json["Changes"] as? [String] == ["name", "department"])
        #expect(json["ChangedByAssociateId"] as? Int == 12)
        #expect(json["ContextIdentifier"] as? String == "Cust26759")
        #expect(json["WebhookName"] as? String == "ERP")
        #expect((json["FieldValues"] as? [String: Any])?["name"] as? String == "Nordlys Fiskeri AS")
        #expect((json["Data"] as? [String: Any])?["source"] as? String == "import")
    }

    @Test func timestampHasSevenFractionDigits() {
        #expect(EventEnvelope.timestampText(Date(timeIntervalSince1970: 0)) == "1970-01-01T00:00:00.0000000Z")
        let text = EventEnvelope.timestampText(Date(timeIntervalSince1970: 1_524_559_979.5))
        #expect(text == "2018-04-24T08:52:59.5000000Z")
        #expect(EventEnvelope.timestampText(Date(timeIntervalSince1970: 951_782_400)) == "2000-02-29T00:00:00.0000000Z")
    }

    @Test func propertiesAreAddedButCannotOverride() {
        let json = body(properties: ["Event": "forged", "Data": "forged", "tenant": "north", "level": 2])
        #expect(json["Event"] as? String == "contact.created")
        #expect((json["Data"] as? [String: Any])?["source"] as? String == "import")
        #expect(json["tenant"] as? String == "north")
        #expect(json["level"] as? Int == 2)
    }

    @Test func eventNamesAreValidated() {
        for bad in ["", "contact..created", ".created", "contact.*", "contact created", "kontakt.ændret"] {
            #expect(throws: HookwireError.self) { try EventValidation.validateEventName(bad) }
        }
        for good in ["contact.created", "list.category.changed", "y_table.created", "webhook.errors", "test"] {
            #expect(throws: Never.self) { try EventValidation.validateEventName(good) }
        }
    }

    @Test func nonFiniteNumberIsRejectedWithItsField() {
        let bad = EventPublication(event: "sale.sold", fieldValues: ["amount": .double(.nan)])
        do {
            try EventValidation.validate(bad)
            Issue.record("expected an error")
        } catch let error as HookwireError {
            #expect(error.code == .invalidArgument)
            #expect(error.message.contains("amount"))
        } catch {
            Issue.record("unexpected error \(error)")
        }
    }
}
