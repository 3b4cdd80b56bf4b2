import RoloCore
import RoloInterchange

extension ContactDetail {
    /// The contact's provider data as people read it: a photo, logo, sound or key kept from a
    /// vCard named and sized (`PHOTO (image/jpeg, 2.3 KB)`) instead of kilobytes of base64. The
    /// contact keeps the data; exports write it whole. For the detail pane, which reaches the
    /// file formats only through this layer.
    public var shownExtensions: [String: JSONValue] {
        contact.extensions.reduce(into: [:]) { shown, entry in shown[entry.key] = ShownProviderData.value(entry.value, key: entry.key) }
    }
}
