/// A plain-text table for people: a header row and left-aligned columns separated by two spaces.
struct Table {
    var headers: [String]
    var rows: [[String]] = []

    init(_ headers: String...) {
        self.headers = headers
    }

    mutating func append(_ row: String...) {
        rows.append(row)
    }

    /// Renders the table with a trailing newline. Cells that contain line breaks are shown with
    /// `\n` so that every record stays on one line.
    func rendered() -> String {
        let cleanRows = rows.map { $0.map { $0.replacingLineBreaks() } }
        var widths = headers.map(\.count)
        for row in cleanRows {
            for (column, cell) in row.enumerated() where column < widths.count {
                widths[column] = max(widths[column], cell.count)
            }
        }
        var output = ""
        for row in [headers] + cleanRows {
            var line = ""
            for (column, cell) in row.enumerated() {
                let isLast = column == row.count - 1
                line += isLast ? cell : cell + String(repeating: " ", count: widths[column] - cell.count + 2)
            }
            output += line + "\n"
        }
        return output
    }
}

/// A two-column listing of one record's fields, such as `name:  Orders`.
struct FieldList {
    private var fields: [(String, String)] = []

    mutating func append(_ name: String, _ value: String) {
        fields.append((name, value))
    }

    func rendered() -> String {
        let width = fields.map(\.0.count).max() ?? 0
        return fields.map { name, value in
            name + ":" + String(repeating: " ", count: width - name.count + 2) + value.replacingLineBreaks()
        }.joined(separator: "\n") + "\n"
    }
}

extension String {
    fileprivate func replacingLineBreaks() -> String {
        guard contains(where: \.isNewline) else { return self }
        return split(omittingEmptySubsequences: false, whereSeparator: \.isNewline).joined(separator: "\\n")
    }
}
