"""One decision (dispatch, extend, handle, re-inspection …) on one case, in a dialog.

The dialog shows only the fields its action needs (:data:`app.domain.lifecycle.NEEDS`); the
deadline of a dispatch or a rework is proposed from the time-limit rules and the working
calendar. The shared state machine checks the decision and its refusal is shown next to the
field it is about.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from PySide6.QtCore import QDateTime, Qt, QTime, Signal, Slot
from PySide6.QtWidgets import (
    QComboBox,
    QDateTimeEdit,
    QFormLayout,
    QLabel,
    QPlainTextEdit,
    QVBoxLayout,
    QWidget,
)

from app.domain.errors import TransitionError
from app.domain.grids import ANY_CLASS
from app.domain.lifecycle import Action, Need, Role, TransitionRequest, missing_needs, needs
from app.storage import LocalStore, reports
from app.storage.deadlines import DeadlineState, deadline_state
from app.storage.grids import ResponsibleDepartment
from app.storage.store import CaseRow
from app.storage.supervision import (
    DecisionError,
    DepartmentRow,
    Person,
    departments,
    inspectors,
    record_decision,
    timeline,
)
from app.ui.common.dialogs import RecordDialog
from app.ui.common.style import MUTED
from app.ui.common.text import (
    action_text,
    category_text,
    error_text,
    from_qdatetime,
    local_time,
    status_text,
    to_qdatetime,
)
from app.ui.common.widgets import bold, error_label, stacked
from app.ui.supervisor.base import Clock, utc_now
from app.ui.tasks import TaskRunner

#: Actions whose deadline is proposed from the time-limit rules and the working calendar (they
#: start an assignment; an extension moves the current one's deadline instead).
PROPOSED_DEADLINE = frozenset({Action.DISPATCH, Action.REWORK})
#: The time a deadline gets when only its day is picked (the end of the working day).
END_OF_DAY = QTime(17, 0)
#: Which field (and error label) a missing need is shown at.
FIELD_OF_NEED = {
    Need.OPINION: "opinion",
    Need.DEPARTMENT: "department",
    Need.DEADLINE: "deadline",
    Need.ASSIGNEE: "assignee",
}


@dataclass(frozen=True, slots=True)
class DecisionContext:
    """What a decision dialog loads: the case, the choices, the proposal, the current deadline."""

    case: CaseRow
    departments: list[DepartmentRow]
    inspectors: list[Person]
    proposal: datetime | None
    current: DeadlineState | None
    #: The department 定人定责 names for the case's cell and category class (dispatch).
    responsible: ResponsibleDepartment | None = None


class DecisionDialog(RecordDialog):
    """One decision on one case, with only the fields its action needs, checked inline."""

    #: The decision was recorded (the store's :class:`Changes`, already announced on the
    #: store's events); then the dialog closes.
    decided = Signal(object)
    #: The case and the choices were read (the fields are filled).
    loaded = Signal()

    def __init__(
        self,
        store: LocalStore,
        tasks: TaskRunner,
        language: str,
        case_id: str,
        action: Action,
        *,
        parent: QWidget | None = None,
        clock: Clock = utc_now,
    ) -> None:
        super().__init__(store, tasks, language, parent)
        self.saving_text = self.tr("Saving…")
        self._clock = clock
        self.case_id = case_id
        self.action = action
        #: What the action needs filled in (the shared rules' data): the fields shown.
        self.needs = needs(action)
        self._loaded = False
        self._proposal: datetime | None = None
        name = action_text(action, language)
        self.setWindowTitle(self.tr("%1 — decision").replace("%1", name))
        self.setMinimumSize(600, 360)

        self.heading = bold(QLabel(self.tr("Loading the case…")), 1.15)
        self.heading.setWordWrap(True)
        self.case_label = QLabel()
        self.case_label.setWordWrap(True)
        self.case_label.setStyleSheet(MUTED)

        self.department_combo = QComboBox()
        self.department_combo.setObjectName("department")
        self.department_combo.setPlaceholderText(self.tr("Choose the responsible department"))
        self.department_combo.currentIndexChanged.connect(self._changed)
        self.department_error = error_label("department_error")
        self.department_note = QLabel()
        self.department_note.setObjectName("department_note")
        self.department_note.setWordWrap(True)
        self.department_note.setStyleSheet(MUTED)
        self.department_note.hide()
        self.department_info = QLabel()
        self.department_info.setWordWrap(True)

        self.deadline_edit = QDateTimeEdit()
        self.deadline_edit.setObjectName("deadline")
        self.deadline_edit.setCalendarPopup(True)
        self.deadline_edit.setDisplayFormat("yyyy-MM-dd HH:mm")
        # The minimum (the start of today) stands for "no deadline chosen yet".
        today = QDateTime.currentDateTime()
        today.setTime(QTime(0, 0))
        self.deadline_edit.setMinimumDateTime(today)
        self.deadline_edit.setSpecialValueText(self.tr("Choose a deadline"))
        self.deadline_edit.setDateTime(today)
        self.deadline_edit.dateTimeChanged.connect(self._deadline_changed)
        self._deadline_was_empty = True
        self.deadline_note = QLabel()
        self.deadline_note.setObjectName("deadline_note")
        self.deadline_note.setWordWrap(True)
        self.deadline_note.setStyleSheet(MUTED)
        self.deadline_error = error_label("deadline_error")

        self.assignee_combo = QComboBox()
        self.assignee_combo.setObjectName("assignee")
        self.assignee_combo.setPlaceholderText(self.tr("Choose the inspector"))
        self.assignee_combo.currentIndexChanged.connect(self._changed)
        self.assignee_error = error_label("assignee_error")

        self.opinion_edit = QPlainTextEdit()
        self.opinion_edit.setObjectName("opinion")
        self.opinion_edit.setTabChangesFocus(True)
        self.opinion_edit.setFixedHeight(self.opinion_edit.fontMetrics().lineSpacing() * 4 + 16)
        self.opinion_edit.setPlaceholderText(self._opinion_placeholder())
        self.opinion_edit.textChanged.connect(self._changed)
        self.opinion_error = error_label("opinion_error")

        department_row = stacked(self.department_combo, self.department_note, self.department_error)
        deadline_row = stacked(self.deadline_edit, self.deadline_note, self.deadline_error)
        assignee_row = stacked(self.assignee_combo, self.assignee_error)
        self.form = QFormLayout()
        self.form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        self.form.addRow(self.tr("&Department:"), department_row)
        self.form.addRow(self.tr("Department:"), self.department_info)
        self.form.addRow(
            self.tr("D&eadline:"),
            deadline_row,
        )
        self.form.addRow(self.tr("Re-&inspection by:"), assignee_row)
        opinion_title = (
            self.tr("&Opinion (required):")
            if Need.OPINION in self.needs
            else self.tr("&Opinion (optional):")
        )
        self.form.addRow(opinion_title, stacked(self.opinion_edit, self.opinion_error))
        self.form.setRowVisible(department_row, Need.DEPARTMENT in self.needs)
        self.form.setRowVisible(self.department_info, action is Action.REWORK)
        self.form.setRowVisible(deadline_row, Need.DEADLINE in self.needs)
        self.form.setRowVisible(assignee_row, Need.ASSIGNEE in self.needs)

        self.error_label = error_label("dialog_error")
        bottom, self.ok_button = self.bottom_row(name)
        self.ok_button.setObjectName("decide")

        layout = QVBoxLayout(self)
        layout.addWidget(self.heading)
        layout.addWidget(self.case_label)
        layout.addSpacing(6)
        layout.addLayout(self.form)
        layout.addWidget(self.error_label)
        layout.addStretch(1)
        layout.addLayout(bottom)
        self._update_state()
        self.load()

    def _opinion_placeholder(self) -> str:
        placeholders = {
            Action.REJECT: self.tr("Why the report is not accepted"),
            Action.RETURN: self.tr("What the inspector must correct"),
            Action.VOID: self.tr("Why the case is void"),
            Action.EXTEND: self.tr("Why the department needs more time"),
            Action.SUSPEND: self.tr("Why the case is suspended (挂账)"),
            Action.HANDLE: self.tr("What the department did, as it reported"),
            Action.REWORK: self.tr("What is still wrong, for the department to rework"),
            # Departments in the loop (issue 15).
            Action.REQUEST_EXTENSION: self.tr("Why the department needs more time"),
            Action.REQUEST_RETURN: self.tr("Why the case is not the department's"),
            Action.REQUEST_SUSPENSION: self.tr("Why the case cannot be handled for now"),
            Action.REFUSE_REQUEST: self.tr("Why the request is refused"),
        }
        return placeholders.get(self.action, self.tr("A note for the case's history"))

    # -- loading ----------------------------------------------------------------------------------

    def load(self) -> None:
        store, case_id, action, language = self._store, self.case_id, self.action, self._language
        wanted = self.needs
        now = self._clock()

        def read() -> DecisionContext:
            proposal = None
            if action in PROPOSED_DEADLINE:
                proposal = reports.propose_deadline(store, case_id, now)
            current = deadline_state(timeline(store, case_id, language), now)
            case = store.get_case(case_id)
            responsible = None
            if Need.DEPARTMENT in wanted:
                responsible = store.propose_department(case.grid_code, case.category_code)
            return DecisionContext(
                case,
                departments(store) if Need.DEPARTMENT in wanted else [],
                inspectors(store) if Need.ASSIGNEE in wanted else [],
                proposal,
                current,
                responsible,
            )

        self._ops.run(read, self._show, key="context", on_error=self._load_failed)

    def _show(self, context: DecisionContext) -> None:
        case = context.case
        category = category_text(self._store.taxonomy, case.category_code, self._language)
        self.heading.setText(category or self.tr("No category"))
        details = [status_text(case.status, self._language)]
        if case.address:
            details.append(case.address)
        details.append(case.description.replace("\n", " ")[:80])
        self.case_label.setText("  ·  ".join(d for d in details if d))
        for department in context.departments:
            self.department_combo.addItem(
                f"{department.display(self._language)} ({department.code})", department.id
            )
        self.department_combo.setCurrentIndex(-1)
        self._propose_department(context.responsible)
        author_row = -1
        for n, person in enumerate(context.inspectors):
            self.assignee_combo.addItem(person.name, person.id)
            if person.id == case.author_id:
                author_row = n
        # The inspector who reported the case re-inspects it, unless the supervisor chooses.
        self.assignee_combo.setCurrentIndex(author_row)
        current = context.current
        if current is not None:
            self.department_info.setText(
                self.tr("%1 (the same department reworks the case)").replace(
                    "%1", current.department or "—"
                )
            )
        else:
            self.department_info.setText("—")
        self._fill_deadline(context)
        self._loaded = True
        self._update_state()
        self.loaded.emit()
        first = {
            Action.DISPATCH: self.department_combo,
            Action.REQUEST_REINSPECTION: self.assignee_combo,
        }.get(self.action, self.opinion_edit)
        first.setFocus(Qt.FocusReason.OtherFocusReason)

    def _propose_department(self, responsible: ResponsibleDepartment | None) -> None:
        """Preselect the department 定人定责 names, and say why."""
        row = (
            self.department_combo.findData(responsible.department_id)
            if responsible is not None
            else -1
        )
        if responsible is None or row < 0:
            return
        self.department_combo.setCurrentIndex(row)
        if responsible.category_class == ANY_CLASS:
            text = self.tr(
                "Proposed by the responsibilities (定人定责): grid cell %1 is this "
                "department's for every category. You may change it."
            ).replace("%1", responsible.grid_code)
        else:
            text = (
                self.tr(
                    "Proposed by the responsibilities (定人定责): in grid cell %1, category "
                    "class %2 is this department's. You may change it."
                )
                .replace("%1", responsible.grid_code)
                .replace("%2", responsible.category_class)
            )
        self.department_note.setText(text)
        self.department_note.show()

    def _fill_deadline(self, context: DecisionContext) -> None:
        if Need.DEADLINE not in self.needs:
            return
        current = context.current.deadline if context.current is not None else None
        notes = []
        if self.action in PROPOSED_DEADLINE:
            self._proposal = context.proposal
            if context.proposal is not None:
                self.deadline_edit.setDateTime(to_qdatetime(context.proposal))
                notes.append(
                    self.tr(
                        "Proposed from the time-limit rules and the working calendar: %1. "
                        "You may change it."
                    ).replace("%1", local_time(context.proposal))
                )
            else:
                notes.append(
                    self.tr("No time-limit rule applies to this case: choose the deadline.")
                )
        elif current is not None:
            # Extending: a day more than the current deadline, to change as needed.
            self.deadline_edit.setDateTime(to_qdatetime(current + timedelta(days=1)))
        if current is not None and self.action is not Action.DISPATCH:
            notes.append(self.tr("Current deadline: %1").replace("%1", local_time(current)))
        self.deadline_note.setText("\n".join(notes))
        self.deadline_note.setVisible(bool(notes))

    def _load_failed(self, exc: BaseException) -> None:
        self.heading.setText(self.tr("The case could not be read"))
        self._show_error(error_text(exc, self._language))

    # -- values -----------------------------------------------------------------------------------

    def is_loaded(self) -> bool:
        """Whether the case and the choices have been read (the fields are filled)."""
        return self._loaded

    def deadline(self) -> datetime | None:
        """The chosen deadline (None: not chosen yet); the proposal exactly when kept."""
        if self.deadline_edit.dateTime() <= self.deadline_edit.minimumDateTime():
            return None
        chosen = from_qdatetime(self.deadline_edit.dateTime())
        proposal = self._proposal
        if proposal is not None and abs((chosen - proposal).total_seconds()) < 60:
            return proposal
        return chosen

    def opinion(self) -> str:
        return self.opinion_edit.toPlainText().strip()

    def department_id(self) -> str | None:
        data = self.department_combo.currentData()
        return str(data) if Need.DEPARTMENT in self.needs and data else None

    def assignee_id(self) -> str | None:
        data = self.assignee_combo.currentData()
        return str(data) if Need.ASSIGNEE in self.needs and data else None

    def missing(self) -> list[str]:
        """The required fields still empty (OK stays disabled while any is), as the shared
        rules see them (:func:`app.domain.lifecycle.missing_needs`)."""
        request = TransitionRequest(
            self.action,
            Role.SUPERVISOR,
            opinion=self.opinion(),
            department_id=self.department_id(),
            deadline=self.deadline(),
            assignee_id=self.assignee_id(),
        )
        return [FIELD_OF_NEED[need] for need in missing_needs(request)]

    # -- deciding ---------------------------------------------------------------------------------

    @Slot()
    def submit(self) -> None:
        """Check the decision with the shared rules and record it (in the database lane)."""
        if not self._loaded or self._ops.busy or self.missing():
            return
        self._clear_errors()
        deadline = self.deadline() if Need.DEADLINE in self.needs else None
        if deadline is not None and deadline <= self._clock():
            self._field_error("deadline", self.tr("The deadline must be in the future."))
            return
        store, case_id, action = self._store, self.case_id, self.action
        opinion, department_id, assignee_id = (
            self.opinion(),
            self.department_id(),
            self.assignee_id(),
        )
        self.record(
            lambda: record_decision(
                store,
                case_id,
                action,
                opinion=opinion,
                department_id=department_id,
                deadline=deadline,
                assignee_id=assignee_id,
            ),
            self.decided,
            self._refused,
        )

    def _refused(self, exc: BaseException) -> None:
        self._field_error(self._field_of(exc), error_text(exc, self._language))

    def _field_of(self, exc: BaseException) -> str:
        """The field a refusal is about (shown next to it), or "" for the whole decision."""
        if isinstance(exc, DecisionError):
            return {"unknown_department": "department", "not_an_inspector": "assignee"}.get(
                exc.code, ""
            )
        if isinstance(exc, TransitionError) and exc.code == "missing_requirement":
            missing = self.missing()
            if missing:
                return missing[0]
            # Everything is filled in, yet something is wrong with it: what the shared rules
            # check beyond presence is the inspector chosen and the deadline (later, aware).
            for need in (Need.ASSIGNEE, Need.DEADLINE):
                if need in self.needs:
                    return FIELD_OF_NEED[need]
        return ""

    def _field_error(self, field: str, text: str) -> None:
        label, widget = {
            "opinion": (self.opinion_error, self.opinion_edit),
            "department": (self.department_error, self.department_combo),
            "deadline": (self.deadline_error, self.deadline_edit),
            "assignee": (self.assignee_error, self.assignee_combo),
        }.get(field, (self.error_label, None))
        label.setText(text)
        label.show()
        if widget is not None:
            widget.setFocus(Qt.FocusReason.OtherFocusReason)

    def _clear_errors(self) -> None:
        for label in (
            self.opinion_error,
            self.department_error,
            self.deadline_error,
            self.assignee_error,
            self.error_label,
        ):
            label.hide()

    def _show_error(self, text: str) -> None:
        self.error_label.setText(text)
        self.error_label.show()

    def _changed(self, *_args: object) -> None:
        self._update_state()

    def _deadline_changed(self, value: QDateTime) -> None:
        empty = value <= self.deadline_edit.minimumDateTime()
        if self._deadline_was_empty and not empty and value.time() == QTime(0, 0):
            # A day picked in the calendar, from "choose a deadline": the end of its working day.
            self._deadline_was_empty = False
            self.deadline_edit.setTime(END_OF_DAY)
            return
        self._deadline_was_empty = empty
        self.deadline_error.hide()
        self._update_state()

    def _update_state(self) -> None:
        busy = self._ops.busy
        self.ok_button.setEnabled(self._loaded and not busy and not self.missing())
        self.cancel_button.setEnabled(not busy)
