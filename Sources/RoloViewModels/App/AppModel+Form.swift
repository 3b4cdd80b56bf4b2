import RoloCore
import RoloSync

extension AppModel {
    // MARK: - Opening and closing the form

    func editSelected(_ effects: inout [Effect]) throws {
        guard editingAllowed(), let selected = list.selected else { return }
        try openEditForm(of: selected.id, takingOver: false)
    }

    /// Opens the form of a contact, unless another running rolo is editing it: then a question
    /// says who and since when, and the contact stays read-only here unless taken over.
    func openEditForm(of id: ContactID, takingOver: Bool) throws {
        let detail = try services.reader.detail(id)
        var form = EditForm(mode: .edit(id), contact: detail.contact, account: detail.account,
                            definitions: detail.definitions)
        switch try services.drafts.claimDraft(form.draftSlot, takingOver: takingOver) {
        case .held(let holder):
            overlay = .dialog(Dialog(
                title: "Being edited elsewhere",
                message: "\(holder.session.describe(seenFrom: services.drafts.session)) has been editing \(detail.contact.displayName) "
                    + "since \(holder.since.display) and has not saved. It stays read-only here; taking it over brings "
                    + "their unsaved changes into your form and closes theirs.",
                choices: [.init(key: "r", label: "read-only", action: .viewReadOnly(id)),
                          .init(key: "t", label: "take over", action: .takeOver(id))],
                enterAction: .viewReadOnly(id), escapeAction: .viewReadOnly(id)))
        case .claimed(let draftID, let left, let from):
            form.draft = draftID
            let wasRunning = from.map(services.drafts.holderIsRunning) ?? false
            let restored = left.map { FormDraft.restore($0.payload, into: &form, visibleRows: formVisibleRows, planner: services.accounts, resumeTyping: !wasRunning) } ?? false
            if let from, wasRunning {
                show("You took this edit over from \(from.session.user)" + (restored ? "; their unsaved changes are in the form" : ""), .warning)
            } else if let left, restored {
                show(restoredMessage(left, from: from, what: "edit"), .warning)
            }
            open(form)
        }
    }

    /// Says whose unsaved text a form was opened with: this person's own, or another's.
    func restoredMessage(_ draft: Draft, from holder: DraftHolder?, what: String) -> String {
        guard let holder, holder.session.user != services.drafts.session.user else {
            return "Restored your unsaved \(what) from \(draft.savedAt.display)"
        }
        return "Restored the unsaved \(what) \(holder.session.user) left at \(draft.savedAt.display)"
    }

    /// Another rolo is editing the contact: show it here without a form.
    func viewReadOnly(_ id: ContactID) throws {
        guard let summary = try summary(of: id) else { return }
        if list.selected?.id != id { try list.loadAround(summary.cursor, scope: scope, reader: reader) }
        focus = .detail
        detail = nil
        try loadDetail()
        show("\(summary.displayName) is being edited in another rolo: read-only here (e, then t, takes it over)", .warning)
    }

    /// This rolo no longer holds its form (another rolo took it over, or the contact is gone):
    /// the form closes, and a question says what happened. Nothing is written.
    func formWasLost(_ lost: DraftNotHeld) {
        guard let form else { return }
        self.form = nil
        focus = focusBeforeForm == .form ? .list : focusBeforeForm
        detail = nil
        try? loadDetailIfVisible()
        let name = form.original.displayName.isEmpty ? "the new contact" : form.original.displayName
        let message: String
        if let holder = lost.holder {
            message = "\(holder.session.describe(seenFrom: services.drafts.session)) took over the edit of \(name) at "
                + "\(holder.since.display). The changes you had made went with it; nothing was saved here."
        } else {
            message = "The edit of \(name) was saved, thrown away or deleted elsewhere while it was open here; "
                + "nothing was saved here."
        }
        overlay = .dialog(Dialog(title: lost.holder == nil ? "Edit closed" : "Edit taken over", message: message,
                                 choices: [.init(key: "o", label: "ok", action: .later)], enterAction: .later, escapeAction: .later))
    }

    func newContact(_ effects: inout [Effect]) throws {
        guard editingAllowed() else { return }
        if let account = currentAccount {
            try openNewForm(in: account)
        } else if accounts.count == 1 {
            try openNewForm(in: accounts[0])
        } else {
            openAccountPicker(purpose: .newContactAccount)
        }
    }

    func openNewForm(in account: Account) throws {
        let definitions = try services.accounts.fieldDefinitions(accountID: account.id)
        var form = EditForm(mode: .create, contact: Contact(accountID: account.id), account: account, definitions: definitions)
        // A new contact's form is never another running rolo's: each has its own.
        guard case .claimed(let draftID, let left, let from) = try services.drafts.claimDraft(form.draftSlot, takingOver: false) else { return }
        form.draft = draftID
        if let left, FormDraft.restore(left.payload, into: &form, visibleRows: formVisibleRows, planner: services.accounts) {
            show(restoredMessage(left, from: from, what: "new contact"), .warning)
        } else if let first = form.fields.firstIndex(where: { $0.key == .standard(.firstName) && !$0.isReadOnly })
                    ?? form.fields.firstIndex(where: { $0.kind.isTyped }) {
            // Typing starts in the first name, not in a salutation few people fill in.
            form.move(to: first, visibleRows: formVisibleRows)
            form.editor = LineEditor(text: form.fields[first].input)
        }
        open(form)
    }

    private func open(_ form: EditForm) {
        if focus != .form { focusBeforeForm = focus }
        self.form = form
        focus = .form
    }

    func closeForm(_ effects: inout [Effect]) throws {
        guard let form else { return }
        // Taken over meanwhile: say so, rather than ask about changes that are no longer here.
        try checkFormIsHeld()
        if form.isDirty {
            overlay = .dialog(Dialog(
                title: "Unsaved changes",
                message: "\(form.title): save the changes, discard them, or keep editing?",
                choices: [.init(key: "s", label: "save", action: .saveForm),
                          .init(key: "d", label: "discard", action: .discardForm),
                          .init(key: "k", label: "keep editing", action: .keepEditing)],
                enterAction: .keepEditing, escapeAction: .keepEditing))
            return
        }
        self.form = nil
        focus = focusBeforeForm
        if let problem = dropDraft(form.draft) { show("The form is closed; its draft stays in the cache (\(problem))", .warning) }
    }

    /// Closes the form without its changes. The form closes first: a cache that cannot be
    /// written (its draft cannot be removed) never keeps anyone in the form.
    func discardForm(_ effects: inout [Effect]) throws {
        guard let form else { return }
        try checkFormIsHeld()
        self.form = nil
        focus = focusBeforeForm
        if let problem = dropDraft(form.draft) {
            show("Changes discarded; the draft stays in the cache and is offered again (\(problem))", .warning)
        } else {
            show("Changes discarded")
        }
    }

    /// Removes a form's draft; the reason when that failed.
    func dropDraft(_ draft: DraftID?) -> String? {
        guard let draft else { return nil }
        do {
            try services.drafts.releaseDraft(draft)
            return nil
        } catch {
            return "\(error)"
        }
    }

    // MARK: - Form commands

    func formCommand(_ command: Command, in context: KeyContext, _ effects: inout [Effect]) throws {
        if context == .prompt {
            guard case .addField(var prompt) = overlay else { return }
            let step = command == .nextField ? 1 : -1
            prompt.typeIndex = (prompt.typeIndex + step + prompt.types.count) % prompt.types.count
            overlay = .addField(prompt)
            return
        }
        if context == .picker {
            guard command == .toggleField, case .picker(var picker) = overlay, picker.allowsMany,
                  picker.options.indices.contains(picker.cursor) else { return }
            let value = picker.options[picker.cursor].value
            if picker.chosen.contains(value) { picker.chosen.remove(value) } else { picker.chosen.insert(value) }
            overlay = .picker(picker)
            return
        }
        guard form != nil else { return }
        switch command {
        case .save:
            if context == .formInput { try commitEditor(moveBy: 0) }
            try saveForm(&effects, thenQuit: false)
        case .nextField, .previousField:
            if context == .formInput { try commitEditor(moveBy: 0) }
            form!.move(to: form!.focus + (command == .nextField ? 1 : -1), visibleRows: formVisibleRows)
            // Tab while typing goes on typing in the next field, as in any form; a field that
            // is toggled, picked or opened in $EDITOR stops it, and the footer says how.
            if context == .formInput, let next = form!.focused, next.kind.isTyped, !next.isReadOnly {
                form!.editor = LineEditor(text: next.input)
            }
            try saveDraft()
        case .editField, .toggleField:
            try changeFocusedField(toggleOnly: command == .toggleField, &effects)
        case .clearField:
            guard let field = form?.focused, !field.isReadOnly else { return showReadOnly() }
            form!.clear(at: form!.focus)
            show("\(field.label) will be cleared when you save (r puts it back)")
            try saveDraft()
        case .revertField:
            form!.revert(at: form!.focus)
            try saveDraft()
        case .addField:
            let rules = form!.account.rules
            if rules.customFields == .definedByProvider {
                show(rules.customKeyHint, .warning)
                return
            }
            let types: [FieldType] = switch rules.customFields {
            case .anyKeyAsText: [.text]
            case .fixedSlots: [.text, .number, .datetime, .json]
            default: [.text, .number, .date, .datetime, .bool, .json]
            }
            overlay = .addField(AddFieldPrompt(types: types, hint: rules.customKeyHint))
        default:
            break
        }
    }

    private func showReadOnly() {
        show("This field is read-only", .warning)
    }

    /// Enter or Space on a field: type in it, toggle it, pick from its options, or open JSON in `$EDITOR`.
    func changeFocusedField(toggleOnly: Bool, _ effects: inout [Effect]) throws {
        guard let field = form?.focused else { return }
        if field.isReadOnly { return showReadOnly() }
        let index = form!.focus
        switch field.kind {
        case .flag, .custom(.bool, _):
            let on = ["yes", "true"].contains(field.input.lowercased())
            form!.setInput(on ? "no" : "yes", at: index)
            try saveDraft()
        case .custom(.select, let options), .custom(.multiselect, let options):
            let many = field.kind.customType == .multiselect
            let chosen = Set(many ? FormField.values(of: field.input) : [field.input])
            let cursor = options.firstIndex { chosen.contains($0.value) } ?? 0
            overlay = .picker(Picker(title: field.label, options: options, chosen: chosen, cursor: cursor,
                                     allowsMany: many, purpose: .field(field.key)))
        case .custom(.json, _):
            guard !toggleOnly else { return }
            let text = (try? JSONValue.parse(field.input))?.prettyText ?? field.input
            effects.append(.editExternally(field: field.key, text: text.isEmpty ? "{\n}" : text, error: nil))
        default:
            guard !toggleOnly else { return }
            form!.editor = LineEditor(text: field.input)
        }
    }

    /// Typing changed the focused field's text.
    func formEditorChanged() throws {
        guard let editor = form?.editor else { return }
        form!.setInput(editor.text, at: form!.focus)
        try saveDraft()
    }

    /// Ends typing in a field: the text stays, it is checked, and the focus moves by `step`.
    func commitEditor(moveBy step: Int) throws {
        guard let editor = form?.editor else { return }
        let index = form!.focus
        form!.setInput(editor.text, at: index)
        form!.editor = nil
        // A wrong value is marked on its line and explained under the form; the focus stays.
        if form!.validate(at: index) == nil, step != 0 {
            form!.move(to: index + step, visibleRows: formVisibleRows)
        }
        try saveDraft()
    }

    /// The draft of the open form, written on every change. Throws `DraftNotHeld` when another
    /// rolo has taken the form over (`handle` then closes it).
    ///
    /// While another rolo holds the cache for writing (a long import, a sync), the draft waits
    /// here: typing goes on at full speed, and the clock's tick writes it once the cache is free
    /// (`retrying`). Waiting for the cache on every key froze the screen for the import's length.
    func saveDraft(retrying: Bool = false) throws {
        guard let form, !isReadOnly, let draft = form.draft else { return }
        func waitForCache() {
            draftAwaitsCache = true
            show("Another rolo is writing the cache; what you type is kept and saved as soon as it is free", .warning)
        }
        if draftAwaitsCache && !retrying { return waitForCache() }
        let saved: Bool
        do {
            saved = try services.drafts.saveDraft(form.isDirty ? FormDraft.payload(of: form) : nil, in: draft)
        } catch RoloError.busy {
            return waitForCache()
        }
        if draftAwaitsCache {
            draftAwaitsCache = false
            if message?.tone == .warning { message = nil }
        }
        if !saved { throw DraftNotHeld(holder: try services.drafts.draftHolder(draft)) }
    }

    /// Looks whether the open form is still this rolo's (on the clock's tick, so a rolo whose
    /// form was taken over says so within a second, not at its next key).
    func checkFormIsHeld() throws {
        guard let draft = form?.draft, !isReadOnly else { return }
        let holder = try services.drafts.draftHolder(draft)
        if holder?.session.processKey != services.drafts.session.processKey { throw DraftNotHeld(holder: holder) }
    }

    // MARK: - Saving

    func saveForm(_ effects: inout [Effect], thenQuit: Bool, identityChangeConfirmed: Bool = false,
                  overwriteConfirmed: Bool = false) throws {
        guard var form else { return }
        guard form.isDirty else {
            self.form = nil
            focus = focusBeforeForm
            show(dropDraft(form.draft).map { "Nothing changed; the draft stays in the cache (\($0))" } ?? "Nothing changed")
            if thenQuit { effects.append(.quit) }
            return
        }
        guard let (edit, warnings) = form.buildEdit() else {
            self.form = form
            show("Fix the \(form.errorCount == 1 ? "field" : "\(form.errorCount) fields") marked in red before saving", .error)
            return
        }
        if !overwriteConfirmed, case .edit(let id) = form.mode, let clash = try changedElsewhere(edit, in: form, id: id) {
            self.form = form
            overlay = .dialog(Dialog(
                title: "Changed elsewhere",
                message: "Since you opened this form, \(clash) (another rolo, a command or a sync). Saving puts yours over "
                    + (clash.contains(";") ? "them." : "it."),
                choices: [.init(key: "s", label: "save mine", action: .saveFormOverwriting(thenQuit: thenQuit)),
                          .init(key: "k", label: "keep editing", action: .keepEditing)],
                enterAction: .keepEditing, escapeAction: .keepEditing))
            return
        }
        if !identityChangeConfirmed, case .edit(let id) = form.mode, let notice = try identityChangeNotice(edit, of: id) {
            self.form = form
            overlay = .dialog(Dialog(
                title: "A new email",
                message: notice.prefix(1).uppercased() + notice.dropFirst() + ".",
                choices: [.init(key: "c", label: "change it", action: .saveFormChangingIdentity(thenQuit: thenQuit)),
                          .init(key: "k", label: "keep editing", action: .keepEditing)],
                enterAction: .keepEditing, escapeAction: .keepEditing))
            return
        }
        do {
            // Fields added by hand become the account's in the same transaction as the contact.
            let outcome: EditOutcome
            switch form.mode {
            case .edit(let id):
                outcome = try services.editor.save(edit, to: id, releasing: form.draft, adding: form.pendingDefinitions)
            case .create:
                outcome = try services.editor.create(edit.applied(to: Contact(accountID: form.account.id, createdAt: options.now())),
                                             releasing: form.draft, adding: form.pendingDefinitions)
            }
            self.form = nil
            focus = focusBeforeForm == .form ? .list : focusBeforeForm
            let account = form.account
            // Further emails and phones stay in rolo: a save of only those queues nothing.
            let fate = account.provider == .local ? ""
                : outcome.deltas.allSatisfy(\.key.isOthers) ? ", kept in rolo only" : ", queued for \(account.profile.displayName)"
            let fields = outcome.deltas.count == 1 ? "1 field" : "\(outcome.deltas.count) fields"
            let notes = warnings.isEmpty ? "" : " — " + warnings.map(\.description).joined(separator: "; ")
            try reloadAfterChange(select: outcome.contact.id, &effects)
            // Saved under a filter it does not match, the contact is nowhere on screen: say why.
            let hidden = list.query != nil && !list.rows.contains { $0.id == outcome.contact.id }
                ? " — the filter “\(list.filter.text)” hides it; Esc clears the filter" : ""
            show("Saved \(outcome.contact.displayName) (\(fields))\(fate)\(notes)\(hidden)", warnings.isEmpty ? .success : .warning)
            if thenQuit { effects.append(.quit) }
        } catch RoloError.invalid(let issues) {
            let unplaced = form.mark(issues)
            self.form = form
            show(unplaced.isEmpty ? "Fix the fields marked in red before saving" : unplaced.map(\.description).joined(separator: "; "), .error)
        }
    }

    /// The fields this form changes that were changed in the cache too since it was opened
    /// (by another rolo, `rolo set` or a sync), with their value now — what saving would
    /// overwrite unseen — as a phrase ("City became “Austin”"); nil when there are none. Other
    /// fields changed elsewhere merge as they are.
    private func changedElsewhere(_ edit: ContactEdit, in form: EditForm, id: ContactID) throws -> String? {
        let stored = try services.reader.contact(id)
        let mine = edit.applied(to: stored)
        let clashes = edit.keys.compactMap { key -> String? in
            let now = stored.value(of: key)
            guard now != form.original.value(of: key), now != mine.value(of: key) else { return nil }
            let label = form.fields.first { $0.key == key }?.label ?? key.description
            return now.map { "\(label) became “\($0.displayText)”" } ?? "\(label) was cleared"
        }
        return clashes.isEmpty ? nil : clashes.joined(separator: "; ")
    }

    /// What the editor says about the form's new email, if the form changes it.
    private func identityChangeNotice(_ edit: ContactEdit, of id: ContactID) throws -> String? {
        switch edit[.standard(.email)] {
        case .unchanged: return nil
        case .clear: return try services.editor.identityChangeNotice(id, email: nil)
        case .set(let value): return try services.editor.identityChangeNotice(id, email: value.displayText)
        }
    }

    // MARK: - Adding a custom field

    func addFieldFromPrompt() throws {
        guard case .addField(var prompt) = overlay, form != nil else { return }
        let key = prompt.key.text.trimmed
        do throws(RoloError) {
            try form!.addCustomField(key: key, type: prompt.type, planner: services.accounts)
        } catch {
            prompt.error = EditForm.message(error)
            overlay = .addField(prompt)
            return
        }
        do {
            overlay = nil
            form!.move(to: form!.fields.count - 1, visibleRows: formVisibleRows)
            if form!.fields[form!.focus].kind.isTyped { form!.editor = LineEditor() }
            let warnings = Validator.checkCustomKey(key).filter { $0.severity == .warning }
            let next = switch prompt.type {
            case .bool: "Space sets yes or no"
            case .json: "Enter opens it in $EDITOR"
            case .select, .multiselect: "Enter picks"
            default: "type its value"
            }
            show(warnings.first.map(\.description) ?? "Added \(key) (\(prompt.type.rawValue)); \(next)", warnings.isEmpty ? .info : .warning)
            try saveDraft()
        }
    }

    // MARK: - JSON in $EDITOR

    func finishExternalEdit(field key: FieldKey, text: String?, problem: String?, _ effects: inout [Effect]) throws {
        guard form != nil, let index = form!.fields.firstIndex(where: { $0.key == key }) else { return }
        guard let text else {
            show(problem ?? "The editor could not be started", .error)
            return
        }
        let body = text.split(separator: "\n", omittingEmptySubsequences: false)
            .filter { !$0.trimmed.hasPrefix("#") }.joined(separator: "\n").trimmed
        if body.isEmpty {
            show("The JSON was left empty: nothing changed (x clears the field)", .warning)
            return
        }
        let document: JSONValue
        do throws(JSONParseError) {
            document = try JSONValue.parse(body)
        } catch {
            // Reopen with the same text and the reason, so nothing typed is lost.
            effects.append(.editExternally(field: key, text: body, error: error.message))
            return
        }
        do {
            guard document.isContainer else {
                effects.append(.editExternally(field: key, text: body, error: "must be a JSON object or array, not a single value"))
                return
            }
            let label = form!.fields[index].label
            // An empty field opens with `{}` to start from; saving that back changes nothing.
            let untouched = form!.fields[index].input.isEmpty ? "{}" : form!.fields[index].input
            guard document.canonicalText != untouched else {
                show("\(label) is as it was: nothing changed")
                return
            }
            form!.setInput(document.canonicalText, at: index)
            form!.validate(at: index)
            show("\(label) changed; Ctrl-S saves")
            try saveDraft()
        }
    }

    // MARK: - Drafts from an earlier session

    /// At start: an edit this user has open, unsaved, in another rolo that still runs — the
    /// SSH connection it ran in dropped without hanging it up — is offered, or nobody would
    /// think of looking for it (it showed only on pressing `e` on that very contact).
    func offerEditOpenInAnotherRolo() {
        guard overlay == nil, let all = try? services.drafts.drafts() else { return }
        let here = services.drafts.session
        let open = all.filter { draft in
            guard let holder = draft.holder, draft.contactID != nil, !draft.payload.isEmpty else { return false }
            return holder.session.user == here.user && holder.session.processKey != here.processKey
                && services.drafts.holderIsRunning(holder)
        }
        guard let draft = open.first, let holder = draft.holder, let id = draft.contactID,
              let contact = try? services.reader.contact(id) else { return }
        let more = open.count > 1 ? " (and \(open.count - 1) more edit\(open.count == 2 ? "" : "s"))" : ""
        overlay = .dialog(Dialog(
            title: "Unsaved edit in your other rolo",
            message: "Your rolo \(holder.session.describe(seenFrom: here)) has been editing \(contact.displayName) since "
                + "\(holder.since.display) and has not saved\(more); the connection it runs in may have dropped. "
                + "Taking it over brings its unsaved changes into a form here and closes its form.",
            choices: [.init(key: "t", label: "take over", action: .takeOver(id)),
                      .init(key: "l", label: "later", action: .later)],
            enterAction: .takeOver(id), escapeAction: .later))
    }

    /// Asks about the next draft a rolo left behind, if any.
    func offerNextDraft() {
        guard overlay == nil, let draft = drafts.first else { return }
        var what = "a new contact"
        if let id = draft.contactID, let contact = try? services.reader.contact(id) { what = contact.displayName }
        let account = accounts.first { $0.id == draft.accountID }?.name ?? "an account"
        let by = draft.holder.map { $0.session.user == services.drafts.session.user ? "" : " by \($0.session.user)" } ?? ""
        overlay = .dialog(Dialog(
            title: "Unsaved edit found",
            message: "An edit of \(what) in \(account) was not saved\(by) (last typed \(draft.savedAt.display)). Restore it?",
            choices: [.init(key: "r", label: "restore", action: .restoreDraft(draft)),
                      .init(key: "d", label: "discard", action: .discardDraft(draft)),
                      .init(key: "l", label: "later", action: .later)],
            enterAction: .restoreDraft(draft), escapeAction: .later))
    }

    func restore(_ draft: Draft, _ effects: inout [Effect]) throws {
        guard let account = accounts.first(where: { $0.id == draft.accountID }) else {
            _ = try services.drafts.discardDraft(draft)
            return
        }
        let definitions = try services.accounts.fieldDefinitions(accountID: account.id)
        var form: EditForm
        if let id = draft.contactID {
            guard let contact = try? services.reader.contact(id) else {
                _ = try services.drafts.discardDraft(draft)
                show("The contact of that draft no longer exists; the draft was discarded", .warning)
                return
            }
            form = EditForm(mode: .edit(id), contact: contact, account: account, definitions: definitions)
        } else {
            form = EditForm(mode: .create, contact: Contact(accountID: account.id), account: account, definitions: definitions)
        }
        // Another rolo may have picked the draft up since this one started.
        switch try services.drafts.adoptDraft(draft) {
        case nil:
            show("That draft is gone: it was saved or thrown away in another rolo", .warning)
            return offerNextDraft()
        case .held(let holder)?:
            show("\(holder.session.describe(seenFrom: services.drafts.session)) has that draft open now", .warning)
            return offerNextDraft()
        case .claimed(let id, let left, _)?:
            form.draft = id
            _ = FormDraft.restore((left ?? draft).payload, into: &form, visibleRows: formVisibleRows, planner: services.accounts)
        }
        if let id = draft.contactID, let summary = try summary(of: id) { try list.loadAround(summary.cursor, scope: scope, reader: reader) }
        open(form)
        show("Draft restored: Ctrl-S saves, Esc asks", .success)
    }
}
