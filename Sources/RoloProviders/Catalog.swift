import RoloCore

extension ProviderKind {
    public static let dailystory = ProviderKind("dailystory")
    public static let notifuse = ProviderKind("notifuse")
    public static let ivvy = ProviderKind("ivvy")
}

extension ProviderCatalog {
    /// Every provider this rolo speaks, with the local profile.
    public static let standard = ProviderCatalog([DailyStoryProfile.profile, NotifuseProfile.profile, IvvyProfile.profile])
}
