import RoloCore
import RoloSync

extension AppModel {
    /// Runs a command from the key map in the context it was pressed in.
    func perform(_ command: Command, in context: KeyContext, key: Key, _ effects: inout [Effect]) throws {
        switch command {
        case .moveDown, .moveUp, .pageDown, .pageUp, .moveFirst, .moveLast:
            try move(command, in: context, &effects)
        case .open where context == .outbox || context == .conflicts:
            try goToSelectedInSyncView(&effects)
        case .open:
            focus = .detail
            try loadDetail()
        case .back:
            try back(in: context, &effects)
        case .switchPane:
            guard layout.isSideBySide else { return }
            focus = focus == .list ? .detail : .list
            if focus == .detail { try loadDetail() }
        case .filter:
            focus = .list
            list.isEditingFilter = true
            detail = nil
            try loadDetailIfVisible()
        case .sort:
            let selected = list.selected?.id
            list.order = list.order.next
            // The selected contact stays selected, in its new place.
            if try !select(selected) { try list.moveFirst(scope: scope, reader: reader) }
            detail = nil
            try loadDetailIfVisible()
            show("Sorted by \(list.order.label)")
        case .switchAccount:
            openAccountPicker(purpose: .account)
        case .edit:
            try editSelected(&effects)
        case .new:
            try newContact(&effects)
        case .delete:
            guard editingAllowed(), let selected = list.selected else { return }
            let account = accounts.first { $0.id == selected.accountID }
            overlay = .dialog(Dialog(
                title: "Delete contact",
                message: "Delete \(selected.displayName) (\(selected.id.shortID)) from \(account?.name ?? "its account")? "
                    + "u undoes it until it is sent.",
                choices: [.init(key: "y", label: "delete", action: .deleteContact(selected.id)),
                          .init(key: "n", label: "keep", action: .later)],
                enterAction: .later, escapeAction: .later))
        case .undo:
            guard editingAllowed() else { return }
            guard let outcome = try services.editor.undoLastEdit(in: scope) else {
                show("Nothing to undo: every edit here has been sent or undone", .warning)
                return
            }
            let verb = switch outcome.kind {
            case .update: "Undid the edit of"
            case .create: "Undid adding"
            case .delete: "Brought back"
            }
            show("\(verb) \(outcome.displayName)", .success)
            try reloadAfterChange(select: outcome.kind == .create ? nil : outcome.contactID, &effects)
        case .help:
            overlay = .help(context, scroll: 0)
        case .commandLine:
            commandLine = CommandLineModel()
        case .quit:
            if key == .control("c") {
                effects.append(.quit)
            } else if let form, form.isDirty {
                overlay = .dialog(Dialog(
                    title: "Unsaved changes",
                    message: form.mode == .create ? "The new contact in \(form.account.name) is not saved."
                        : "Your changes to \(form.original.displayName) are not saved.",
                    choices: [.init(key: "s", label: "save and quit", action: .saveFormAndQuit),
                              .init(key: "d", label: "discard and quit", action: .quitDiscardingForm),
                              .init(key: "k", label: "keep editing", action: .keepEditing)],
                    enterAction: .keepEditing, escapeAction: .keepEditing))
            } else {
                effects.append(.quit)
            }
        case .redraw:
            effects.append(.redraw)
        case .suspend:
            effects.append(.suspend)
        case .editField, .toggleField, .clearField, .revertField, .addField, .save, .nextField, .previousField:
            try formCommand(command, in: context, &effects)
        case .accept:
            try accept(in: context, &effects)
        case .cancel:
            try cancel(in: context, &effects)
        case .complete:
            completeCommandLine()
        case .historyUp, .historyDown:
            browseHistory(up: command == .historyUp)
        case .sync:
            try startSync(&effects)
        case .showOutbox:
            try openOutbox()
        case .showConflicts:
            try openConflicts()
        case .retry where context == .outbox:
            try retrySelectedInOutbox(&effects)
        case .retry:
            guard let contact = contactInFocus else { return show("No contact selected", .warning) }
            try retry(contact.id, name: contact.name, &effects)
        case .fetch:
            try startFetch(text: nil, &effects)
        case .takeMine, .takeTheirs, .takeAllMine, .takeAllTheirs:
            try resolveSelected(command == .takeMine || command == .takeAllMine ? .mine : .theirs,
                                wholeContact: command == .takeAllMine || command == .takeAllTheirs, &effects)
        }
    }

    func editingAllowed() -> Bool {
        if let reason = options.readOnlyReason {
            show(reason + ": editing is off", .warning)
            return false
        }
        if isReadOnly {
            show("rolo was started with --read-only: editing is off", .warning)
            return false
        }
        return true
    }

    // MARK: - Moving

    func move(_ command: Command, in context: KeyContext, _ effects: inout [Effect]) throws {
        switch context {
        case .list, .filterInput:
            let before = list.selected?.id
            switch command {
            case .moveDown: try list.moveDown(scope: scope, reader: reader)
            case .moveUp: try list.moveUp(scope: scope, reader: reader)
            case .pageDown: try list.pageDown(scope: scope, reader: reader)
            case .pageUp: try list.pageUp(scope: scope, reader: reader)
            case .moveFirst: try list.moveFirst(scope: scope, reader: reader)
            default: try list.moveLast(scope: scope, reader: reader)
            }
            if list.selected?.id != before { try loadDetailIfVisible() }
        case .detail:
            guard detail != nil else { return }
            let page = detailVisibleRows
            switch command {
            case .moveDown: detail!.scroll(by: 1, visibleRows: page)
            case .moveUp: detail!.scroll(by: -1, visibleRows: page)
            case .pageDown: detail!.scroll(by: page, visibleRows: page)
            case .pageUp: detail!.scroll(by: -page, visibleRows: page)
            case .moveFirst: detail!.scroll(to: 0, visibleRows: page)
            default: detail!.scroll(to: Int.max / 2, visibleRows: page)
            }
        case .form, .formInput:
            if context == .formInput { try commitEditor(moveBy: 0) }
            guard let current = form?.focus else { return }
            let target = switch command {
            case .moveDown: current + 1
            case .moveUp: current - 1
            case .pageDown: current + formVisibleRows
            case .pageUp: current - formVisibleRows
            case .moveFirst: 0
            default: Int.max / 2
            }
            form!.move(to: target, visibleRows: formVisibleRows)
            try saveDraft()
        case .picker:
            guard case .picker(var picker) = overlay, !picker.options.isEmpty else { return }
            let target = switch command {
            case .moveDown: picker.cursor + 1
            case .moveUp: picker.cursor - 1
            case .pageDown: picker.cursor + 10
            case .pageUp: picker.cursor - 10
            case .moveFirst: 0
            default: picker.options.count - 1
            }
            picker.cursor = max(0, min(target, picker.options.count - 1))
            overlay = .picker(picker)
        case .outbox, .conflicts:
            try moveInSyncView(command)
        case .help:
            guard case .help(let helpContext, let scroll) = overlay else { return }
            let step = command == .moveDown ? 1 : command == .moveUp ? -1 : command == .pageDown ? 10 : command == .pageUp ? -10 : 0
            let target = command == .moveFirst ? 0 : command == .moveLast ? 1000 : scroll + step
            let lines = HelpGeometry.lines(keyMap.help(for: helpContext), mainWidth: layout.main.width).count
            let furthest = HelpGeometry.maxScroll(mainHeight: layout.main.height, lines: lines)
            overlay = .help(helpContext, scroll: max(0, min(target, furthest)))
        default:
            break
        }
    }

    func back(in context: KeyContext, _ effects: inout [Effect]) throws {
        switch context {
        case .detail:
            focus = .list
        case .list:
            if !list.filter.text.isEmpty { try clearFilter(&effects) }
        case .form:
            try closeForm(&effects)
        case .outbox, .conflicts:
            closeSyncView()
        default:
            break
        }
    }

    // MARK: - Filter

    /// The list after the filter changed: from its first match, or around `keeping` when that
    /// contact matches (a cleared filter keeps one's place).
    func filterChanged(_ effects: inout [Effect], keeping kept: ContactID? = nil) throws {
        if try !select(kept) {
            try list.load(.first, scope: scope, reader: reader, selectionOffset: 0)
            list.topIndex = 0
        }
        list.unknownFilterField = nil
        if list.rows.isEmpty, let query = list.query {
            list.unknownFilterField = try services.reader.unknownField(in: query, scope: scope)
        }
        // Typing changes which contacts match, not how many there are or what waits to be sent.
        recountMatches(&effects)
        detail = nil
        try loadDetailIfVisible()
        if let left = list.query?.ignoredTerms, left > 0 {
            show("The filter uses its first \(ContactQuery.maxTerms) terms; \(left) more left out", .warning)
        }
    }

    func clearFilter(_ effects: inout [Effect]) throws {
        let found = list.selected?.id
        list.filter = LineEditor()
        list.isEditingFilter = false
        // The contact the filter found stays selected, now among all: clearing the filter
        // does not lose one's place in a long list.
        try filterChanged(&effects, keeping: found)
    }

    /// Reads the page around the contact `id` as the list is now filtered and ordered, with it
    /// selected; false (and nothing read) when it is not in the list.
    @discardableResult
    func select(_ id: ContactID?) throws -> Bool {
        guard let id, let summary = try summary(of: id) else { return false }
        try list.loadAround(summary.cursor, scope: scope, reader: reader)
        return true
    }

    // MARK: - Accounts

    func openAccountPicker(purpose: Picker.Purpose) {
        var options = accounts.map { SelectOption(value: String($0.id), label: "\($0.name) (\($0.profile.displayName))") }
        if case .account = purpose { options.insert(SelectOption(value: "all", label: "All accounts"), at: 0) }
        let current: String = switch scope {
        case .all: "all"
        case .account(let id): String(id)
        }
        let cursor = options.firstIndex { $0.value == current } ?? 0
        let title = switch purpose {
        case .newContactAccount: "Add the contact to which account?"
        default: "Show which account?"
        }
        overlay = .picker(Picker(title: title, options: options, chosen: [], cursor: cursor, allowsMany: false, purpose: purpose))
    }

    func switchScope(to newScope: AccountScope, _ effects: inout [Effect]) throws {
        scope = newScope
        accounts = try services.accounts.accounts()
        list.filter = LineEditor()
        list.isEditingFilter = false
        try list.moveFirst(scope: scope, reader: reader)
        try refreshCounts(&effects)
        detail = nil
        focus = .list
        try loadDetailIfVisible()
        show("Showing " + (currentAccount.map { "\($0.name) (\($0.profile.displayName))" } ?? "all accounts"))
    }

    // MARK: - Accept and cancel

    func accept(in context: KeyContext, _ effects: inout [Effect]) throws {
        switch context {
        case .filterInput:
            list.isEditingFilter = false
        case .commandLine:
            let text = commandLine?.editor.text ?? ""
            commandLine = nil
            try execute(text, &effects)
        case .formInput:
            let field = form?.focus
            try commitEditor(moveBy: 1)
            // A new contact is filled in field after field, as a paper form is: Enter goes on
            // typing in the next field. In an existing contact's form it ends the change.
            if form?.mode == .create, form?.focus != field, let next = form?.focused, next.kind.isTyped, !next.isReadOnly {
                form!.editor = LineEditor(text: next.input)
            }
        case .picker:
            guard case .picker(let picker) = overlay else { return }
            overlay = nil
            try choose(picker, &effects)
        case .dialog:
            guard case .dialog(let dialog) = overlay else { return }
            overlay = nil
            try run(dialog.enterAction, &effects)
        case .prompt:
            try addFieldFromPrompt()
        case .fetchInput:
            try acceptFetchPrompt(&effects)
        default:
            break
        }
    }

    func cancel(in context: KeyContext, _ effects: inout [Effect]) throws {
        switch context {
        case .filterInput:
            try clearFilter(&effects)
        case .commandLine:
            commandLine = nil
        case .formInput:
            try commitEditor(moveBy: 0)
        case .dialog:
            guard case .dialog(let dialog) = overlay else { return }
            overlay = nil
            try run(dialog.escapeAction, &effects)
        case .picker, .help, .prompt, .fetchInput:
            overlay = nil
        default:
            break
        }
    }

    func choose(_ picker: Picker, _ effects: inout [Effect]) throws {
        let option = picker.options.indices.contains(picker.cursor) ? picker.options[picker.cursor] : nil
        switch picker.purpose {
        case .account:
            guard let option else { return }
            try switchScope(to: option.value == "all" ? .all : .account(Int64(option.value)!), &effects)
        case .newContactAccount:
            guard let option, let account = accounts.first(where: { String($0.id) == option.value }) else { return }
            try openNewForm(in: account)
        case .fetchAccount(let text):
            guard let option, let account = accounts.first(where: { String($0.id) == option.value }) else { return }
            try fetch(into: account, text: text, &effects)
        case .field(let key):
            guard let index = form?.fields.firstIndex(where: { $0.key == key }) else { return }
            let value: String
            if picker.allowsMany {
                value = picker.options.map(\.value).filter(picker.chosen.contains).joined(separator: ", ")
            } else {
                guard let option else { return }
                value = option.value
            }
            form!.setInput(value, at: index)
            form!.validate(at: index)
            try saveDraft()
        }
    }

    /// Runs what a dialog's answer means.
    func run(_ action: Dialog.Action, _ effects: inout [Effect]) throws {
        switch action {
        case .deleteContact(let id):
            let contact = try services.editor.delete(id)
            show("Deleted \(contact.displayName); u brings it back until it is sent", .success)
            try reloadAfterChange(&effects)
        case .saveForm:
            try saveForm(&effects, thenQuit: false)
        case .saveFormAndQuit:
            try saveForm(&effects, thenQuit: true)
        case .saveFormChangingIdentity(let thenQuit):
            // Asked after anything changed elsewhere was (see saveForm).
            try saveForm(&effects, thenQuit: thenQuit, identityChangeConfirmed: true, overwriteConfirmed: true)
        case .saveFormOverwriting(let thenQuit):
            try saveForm(&effects, thenQuit: thenQuit, overwriteConfirmed: true)
        case .discardForm:
            try discardForm(&effects)
        case .quitDiscardingForm:
            // Quits even when the draft cannot be removed: no failed write keeps anyone in.
            effects.append(.quit)
            try discardForm(&effects)
        case .keepEditing, .later:
            break
        case .restoreDraft(let draft):
            try restore(draft, &effects)
            drafts.removeAll { $0 == draft }
        case .discardDraft(let draft):
            let discarded = try services.drafts.discardDraft(draft)
            drafts.removeAll { $0 == draft }
            show(discarded ? "Draft discarded" : "That draft was picked up in another rolo meanwhile; it was left alone",
                 discarded ? .info : .warning)
            offerNextDraft()
        case .viewReadOnly(let id):
            try viewReadOnly(id)
        case .takeOver(let id):
            try openEditForm(of: id, takingOver: true)
        }
    }
}
