import Foundation
import HonninCore
import Testing

@Suite("Person attributes")
struct PersonTests {
    let today = CalendarDate(year: 2026, month: 11, day: 30)!

    @Test("dates parse only as existing YYYY-MM-DD days")
    func dates() {
        #expect(CalendarDate(parsing: "2000-02-29") != nil)
        for bad in ["1999-02-29", "2000-13-01", "2000-00-10", "2000-1-01", "２０００-01-01", "2000/01/01", "", "2000-01-011", "-200-01-01"] {
            #expect(CalendarDate(parsing: bad) == nil, "\(bad)")
        }
        #expect(CalendarDate(parsing: "1987-06-05")?.description == "1987-06-05")
        // 2026-11-30T15:30Z is already 1 December in Japan.
        #expect(CalendarDate(inJapanAt: Date(timeIntervalSince1970: 1_796_052_600)) == CalendarDate(year: 2026, month: 12, day: 1))
    }

    @Test("age counts from the birthday; 29 February birthdays count from 1 March in common years")
    func ages() {
        let born = CalendarDate(year: 2006, month: 12, day: 1)!
        #expect(born.age(on: CalendarDate(year: 2026, month: 11, day: 30)!) == 19)
        #expect(born.age(on: CalendarDate(year: 2026, month: 12, day: 1)!) == 20)
        let leap = CalendarDate(year: 2004, month: 2, day: 29)!
        #expect(leap.age(on: CalendarDate(year: 2024, month: 2, day: 28)!) == 19)
        #expect(leap.age(on: CalendarDate(year: 2024, month: 2, day: 29)!) == 20)
        #expect(leap.age(on: CalendarDate(year: 2025, month: 2, day: 28)!) == 20)
        let leap2 = CalendarDate(year: 2005, month: 2, day: 28)!
        #expect(leap2.age(on: CalendarDate(year: 2025, month: 2, day: 28)!) == 20)
        let leap3 = CalendarDate(year: 2008, month: 2, day: 29)!
        #expect(leap3.age(on: CalendarDate(year: 2027, month: 2, day: 28)!) == 18)
        #expect(leap3.age(on: CalendarDate(year: 2026, month: 2, day: 28)!) == 17)
        #expect(leap3.age(on: CalendarDate(year: 2026, month: 3, day: 1)!) == 18)
    }

    @Test("kana readings: hiragana and half-width become katakana; other scripts are refused")
    func kana() throws {
        #expect(try AttributeValidator.kana("やまだ　たろう") == "ヤマダ タロウ")
        #expect(try AttributeValidator.kana("ﾔﾏﾀﾞ ﾀﾛｳ") == "ヤマダ タロウ")
        #expect(try AttributeValidator.kana(" スミス・ジョン ") == "スミス・ジョン")
        #expect(try AttributeValidator.kana("ヴァーノン") == "ヴァーノン")
        for bad in ["山田", "Yamada", "ヤマダ1", ""] {
            #expect(throws: AttributeError.self) { try AttributeValidator.kana(bad) }
        }
    }

    @Test("names and addresses accept real-world text and refuse control and format characters")
    func text() throws {
        #expect(try AttributeValidator.name("髙橋　花子") == "髙橋 花子")
        #expect(try AttributeValidator.name("NGUYEN VAN A") == "NGUYEN VAN A")
        #expect(try AttributeValidator.name("𠮷田 太郎") == "𠮷田 太郎")
        #expect(try AttributeValidator.address("東京都千代田区千代田1-1 ○○ビル101") == "東京都千代田区千代田1-1 ○○ビル101")
        #expect(try AttributeValidator.address("大阪府大阪市北区梅田一丁目１番３号") == "大阪府大阪市北区梅田一丁目１番３号")
        let e1 = #expect(throws: AttributeError.self) { try AttributeValidator.name("山田\u{0007}太郎") }
        #expect(e1?.code == .invalidCharacters)
        let e2 = #expect(throws: AttributeError.self) { try AttributeValidator.name("山田\u{202E}太郎") }
        #expect(e2?.code == .invalidCharacters)
        let e3 = #expect(throws: AttributeError.self) { try AttributeValidator.name(String(repeating: "山", count: 101)) }
        #expect(e3?.code == .tooLong)
        let e4 = #expect(throws: AttributeError.self) { try AttributeValidator.address("1-2-3") }
        #expect(e4?.code == .invalidCharacters)
        // NFC: a decomposed ガ (カ + U+3099) is stored composed.
        #expect(try AttributeValidator.name("カ\u{3099}ク") == "ガク")
    }

    @Test("birth dates must exist, be past, and be plausible")
    func birthdates() {
        #expect((try? AttributeValidator.birthdate("1990-04-01", today: today)) == CalendarDate(year: 1990, month: 4, day: 1))
        let future = #expect(throws: AttributeError.self) { try AttributeValidator.birthdate("2026-12-01", today: today) }
        #expect(future?.code == .futureDate)
        let old = #expect(throws: AttributeError.self) { try AttributeValidator.birthdate("1899-12-31", today: today) }
        #expect(old?.code == .implausibleDate)
        let bad = #expect(throws: AttributeError.self) { try AttributeValidator.birthdate("1990-02-30", today: today) }
        #expect(bad?.code == .invalidDate)
    }

    @Test("only requested attributes are disclosed; age flags come from the birth date, which stays hidden")
    func disclosure() throws {
        let p = PersonAttributes(name: "山田 太郎", nameKana: "ヤマダ タロウ", address: "東京都", birthdate: CalendarDate(year: 2006, month: 12, day: 1), gender: .male)
        let d = p.disclosed([.ageOver20, .ageOver18], today: today)
        #expect(d == ["age_over_20": .flag(false), "age_over_18": .flag(true)])
        #expect(p.disclosed([.name], today: today) == ["name": .text("山田 太郎")])
        let all = try AttributeValidator.attributes(
            ["name": "山田 太郎", "birthdate": "2006-12-01", "address": "ignored, not requested"], required: [.name, .ageOver20], today: today)
        #expect(all.address == nil && all.name == "山田 太郎" && all.birthdate != nil)
        let missing = #expect(throws: AttributeError.self) {
            try AttributeValidator.attributes(["name": "山田"], required: [.name, .ageOver18], today: today)
        }
        #expect(missing?.code == .missing && missing?.attribute == .birthdate)
    }
}
