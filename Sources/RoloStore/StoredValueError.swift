/// A value read back from the cache that this rolo does not know: a type name a newer rolo
/// wrote, or a damaged row. Reading it throws, naming the value, the table and the column,
/// instead of turning it silently into something else (a date into text, a change into
/// nothing) that a later save would then write back.
struct StoredValueError: Error, CustomStringConvertible {
    let table: String
    let column: String
    let value: String

    var description: String {
        let shown = value.count > 40 ? value.prefix(40) + "…" : Substring(value)
        return "the cache holds “\(shown)” in \(table).\(column), which this rolo does not know "
            + "(written by a newer rolo, or damaged)"
    }
}
