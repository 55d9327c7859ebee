// Support cases, opening to withdrawal, and their timeouts (domain.md "Support cases"). Times are hours from T0.
// Check order on a case: the caller's role (403) -> the case (404) -> its state (409).
import type { OrderCommand } from './order.commands';
import { allowedActions } from './order.rules';
import { foldOrder } from './order.state';
import { MAX_EVIDENCE_BYTES, type Actor } from './order.types';
import { at, buyer, command, ev, given, seller, stranger, support, system } from './testing/given-when-then';
import { CASE_ID, EVIDENCE, INFO_ID, caseEv } from './testing/support-case-events';

const IN_PROGRESS = [ev.placed(), ev.submitted(1)];
const DELIVERED = [...IN_PROGRESS, ev.delivered(10)];
/** Opened by the buyer at hour 20: first response due at 44. */
const OPEN = [...IN_PROGRESS, caseEv.opened()];
const agent2: Actor = { id: 'agent-2', role: 'support' };

type Data<T extends OrderCommand['type']> = Extract<OrderCommand, { type: T }>['data'];
const openCase = (hours = 20, actor: Actor = buyer, data: Partial<Data<'OpenSupportCase'>> = {}) =>
  command(
    'OpenSupportCase',
    { caseId: CASE_ID, category: 'quality', description: 'the logo is blurry', ...data },
    actor,
    hours,
  );
const claim = (hours: number, actor: Actor = support, caseId = CASE_ID) =>
  command('ClaimSupportCase', { caseId }, actor, hours);
const message = (hours: number, actor: Actor = support, text = 'looking into it') =>
  command('PostSupportMessage', { caseId: CASE_ID, text }, actor, hours);
const askInfo = (hours: number, data: Partial<Data<'RequestInformation'>> = {}, actor: Actor = support) =>
  command(
    'RequestInformation',
    {
      caseId: CASE_ID,
      informationRequestId: INFO_ID,
      party: 'seller',
      question: 'which files did you deliver?',
      ...data,
    },
    actor,
    hours,
  );
const statement = (hours: number, actor: Actor = seller, data: Partial<Data<'AddStatement'>> = {}) =>
  command('AddStatement', { caseId: CASE_ID, text: 'the files are attached', ...data }, actor, hours);
const withdraw = (hours: number, actor: Actor = buyer, caseId = CASE_ID) =>
  command('WithdrawSupportCase', { caseId }, actor, hours);
const markOverdue = (hours: number, actor: Actor = system) =>
  command('MarkSupportCaseOverdue', { caseId: CASE_ID }, actor, hours);
const lapseInfo = (hours: number, actor: Actor = system) =>
  command('LapseInformationRequest', { caseId: CASE_ID, informationRequestId: INFO_ID }, actor, hours);

describe('support cases', () => {
  describe('OpenSupportCase', () => {
    it.each<[string, Actor, 'buyer' | 'seller']>([
      ['the buyer', buyer, 'buyer'],
      ['the seller', seller, 'seller'],
    ])('%s opens one; the first response is due 24 h later', (_, actor, by) => {
      given(...IN_PROGRESS)
        .when(openCase(20, actor, { evidence: [EVIDENCE] }))
        .then([caseEv.opened({ by, evidence: [EVIDENCE] })]);
    });

    it('on any active order, also awaiting requirements and delivered', () => {
      for (const history of [[ev.placed()], DELIVERED]) {
        given(...history)
          .when(openCase())
          .then([caseEv.opened()]);
      }
    });

    it.each<[string, Actor]>([
      ['support', support],
      ['a stranger', stranger],
    ])('only the parties: FORBIDDEN for %s (also on an ended order)', (_, actor) => {
      given(...IN_PROGRESS)
        .when(openCase(20, actor))
        .thenThrows('FORBIDDEN');
      given(...DELIVERED, ev.completed(11))
        .when(openCase(20, actor))
        .thenThrows('FORBIDDEN');
    });

    it('not on an ended order: INVALID_STATE', () => {
      given(...DELIVERED, ev.completed(11))
        .when(openCase())
        .thenThrows('INVALID_STATE');
    });

    it('one open case per order: CASE_ALREADY_OPEN, whoever opened it', () => {
      given(...OPEN)
        .when(openCase(21, seller, { caseId: 'case-2' }))
        .thenThrows('CASE_ALREADY_OPEN');
    });

    it('a new case once the previous one closed', () => {
      given(...OPEN, caseEv.withdrawn(21))
        .when(openCase(22, seller, { caseId: 'case-2' }))
        .then([caseEv.opened({ hours: 22, by: 'seller', caseId: 'case-2' })]);
    });

    it('does not block Resolution Center requests, nor they it', () => {
      given(...OPEN)
        .when(
          command(
            'OpenRequest',
            { requestId: 'req-1', requestType: 'cancellation', reason: 'other', comment: 'c' },
            buyer,
            21,
          ),
        )
        .then([ev.opened({ hours: 21, type: 'cancellation', openedBy: 'buyer', comment: 'c' })]);
      given(...IN_PROGRESS, ev.opened({ hours: 5 }))
        .when(openCase())
        .then([caseEv.opened()]);
    });

    it('stores a sha256 in lower case', () => {
      given(...IN_PROGRESS)
        .when(openCase(20, buyer, { evidence: [{ ...EVIDENCE, sha256: 'AB'.repeat(32) }] }))
        .then([caseEv.opened({ evidence: [EVIDENCE] })]);
    });

    it.each<[string, Partial<Data<'OpenSupportCase'>>, string]>([
      ['an unknown category', { category: 'refund' }, 'category'],
      ['an empty description', { description: ' ' }, 'description'],
      ['a description over 10,000 characters', { description: 'x'.repeat(10_001) }, 'description'],
      ['more than 10 pieces of evidence', { evidence: Array(11).fill(EVIDENCE) }, 'evidence'],
      [
        'a file over 100 MB',
        { evidence: [{ ...EVIDENCE, sizeBytes: MAX_EVIDENCE_BYTES + 1 }] },
        'evidence[0].sizeBytes',
      ],
      ['a sha256 that is not 64 hex', { evidence: [{ ...EVIDENCE, sha256: 'xyz' }] }, 'evidence[0].sha256'],
      [
        'a url that is not https',
        { evidence: [{ ...EVIDENCE, url: 'http://files.example/a' }] },
        'evidence[0].url',
      ],
      ['an empty name', { evidence: [{ ...EVIDENCE, name: '' }] }, 'evidence[0].name'],
    ])('VALIDATION_FAILED for %s', (_, data, field) => {
      given(...IN_PROGRESS)
        .when(openCase(20, buyer, data))
        .thenThrows('VALIDATION_FAILED', field);
    });

    it('accepts the limits: 10,000 characters, 10 pieces, 100 MB', () => {
      const evidence = Array(10).fill({ ...EVIDENCE, sizeBytes: MAX_EVIDENCE_BYTES });
      const description = 'x'.repeat(10_000);
      given(...IN_PROGRESS)
        .when(openCase(20, buyer, { evidence, description }))
        .then([caseEv.opened({ evidence, description })]);
    });

    it('refuses a case id used before', () => {
      given(...OPEN, caseEv.withdrawn(21))
        .when(openCase(22))
        .thenThrows('VALIDATION_FAILED', 'caseId');
    });
  });

  describe('ClaimSupportCase', () => {
    it('support claims it: assignee := the agent, a first response', () => {
      given(...OPEN)
        .when(claim(21))
        .then([caseEv.claimed(21)]);
      expect(foldOrder([...OPEN, caseEv.claimed(21)]).supportCase).toMatchObject({
        assignee: 'agent-1',
        firstRespondedAt: at(21).toISOString(),
      });
    });

    it('another agent may take it over', () => {
      given(...OPEN, caseEv.claimed(21))
        .when(claim(22, agent2))
        .then([caseEv.claimed(22, 'agent-2')]);
    });

    it('[decision] claiming a case one holds already: INVALID_STATE', () => {
      given(...OPEN, caseEv.claimed(21))
        .when(claim(22))
        .thenThrows('INVALID_STATE');
    });

    it('403 before 404 before 409', () => {
      given(...OPEN)
        .when(claim(21, buyer, 'nope'))
        .thenThrows('FORBIDDEN');
      given(...OPEN)
        .when(claim(21, support, 'nope'))
        .thenThrows('CASE_NOT_FOUND');
      given(...OPEN, caseEv.withdrawn(21))
        .when(claim(22))
        .thenThrows('CASE_NOT_OPEN');
    });
  });

  it('checks texts after the caller and before the case and its state (api.md: 403, 400, 404, 409)', () => {
    const withdrawn = [...OPEN, caseEv.withdrawn(21)];
    given(...withdrawn)
      .when(message(22, support, ' '))
      .thenThrows('VALIDATION_FAILED', 'text');
    given(...withdrawn)
      .when(askInfo(22, { question: ' ' }))
      .thenThrows('VALIDATION_FAILED', 'question');
    given(...withdrawn)
      .when(statement(22, seller, { text: ' ' }))
      .thenThrows('VALIDATION_FAILED', 'text');
    given(...OPEN)
      .when(openCase(22, seller, { caseId: 'case-2', description: ' ' }))
      .thenThrows('VALIDATION_FAILED', 'description');
    given(...IN_PROGRESS)
      .when(command('PostSupportMessage', { caseId: 'case-404', text: ' ' }, support, 22))
      .thenThrows('VALIDATION_FAILED', 'text');
    given(...withdrawn)
      .when(message(22, buyer, ' '))
      .thenThrows('FORBIDDEN');
    given(...withdrawn)
      .when(message(22))
      .thenThrows('CASE_NOT_OPEN');
  });

  describe('PostSupportMessage', () => {
    it('support posts a message both parties see', () => {
      given(...OPEN)
        .when(message(21))
        .then([caseEv.message(21)]);
    });

    it('FORBIDDEN for the parties; VALIDATION_FAILED for an empty text', () => {
      given(...OPEN)
        .when(message(21, buyer))
        .thenThrows('FORBIDDEN');
      given(...OPEN)
        .when(message(21, support, ''))
        .thenThrows('VALIDATION_FAILED', 'text');
    });
  });

  describe('RequestInformation', () => {
    it('support asks one party, with 48 h to answer', () => {
      given(...OPEN)
        .when(askInfo(21))
        .then([caseEv.infoRequested({ hours: 21 })]);
    });

    it('[decision] at most one outstanding: INVALID_STATE until it is answered or lapsed', () => {
      const asked = [...OPEN, caseEv.infoRequested({ hours: 21 })];
      given(...asked)
        .when(askInfo(22, { informationRequestId: 'info-2', party: 'buyer' }))
        .thenThrows('INVALID_STATE');
      given(...asked, caseEv.statement({ hours: 23, answers: INFO_ID }))
        .when(askInfo(24, { informationRequestId: 'info-2', party: 'buyer' }))
        .then([caseEv.infoRequested({ hours: 24, id: 'info-2', party: 'buyer' })]);
      given(...asked, caseEv.infoLapsed(69))
        .when(askInfo(70, { informationRequestId: 'info-2' }))
        .then([caseEv.infoRequested({ hours: 70, id: 'info-2' })]);
    });

    it('FORBIDDEN for the parties; VALIDATION_FAILED for another party or a used id', () => {
      given(...OPEN)
        .when(askInfo(21, {}, seller))
        .thenThrows('FORBIDDEN');
      given(...OPEN)
        .when(askInfo(21, { party: 'support' as 'buyer' }))
        .thenThrows('VALIDATION_FAILED', 'party');
      given(...OPEN, caseEv.infoRequested({ hours: 21 }), caseEv.infoLapsed(69))
        .when(askInfo(70))
        .thenThrows('VALIDATION_FAILED', 'informationRequestId');
    });
  });

  describe('AddStatement', () => {
    it('either party, any time while the case is open, with evidence', () => {
      given(...OPEN)
        .when(statement(21, buyer, { evidence: [EVIDENCE] }))
        .then([caseEv.statement({ hours: 21, by: 'buyer', evidence: [EVIDENCE] })]);
    });

    it('answers the information request by id: it is no longer outstanding', () => {
      const asked = [...OPEN, caseEv.infoRequested({ hours: 21 })];
      const answered = caseEv.statement({ hours: 30, answers: INFO_ID });
      given(...asked)
        .when(statement(30, seller, { informationRequestId: INFO_ID }))
        .then([answered]);
      expect(foldOrder([...asked, answered]).supportCase?.informationRequest).toBeNull();
    });

    it('[decision] a statement by the asked party within 48 h answers the outstanding request, named or not', () => {
      const asked = [...OPEN, caseEv.infoRequested({ hours: 21 })];
      given(...asked)
        .when(statement(30, seller))
        .then([caseEv.statement({ hours: 30, answers: INFO_ID })]);
      // The other party's statement, or one after respondBy (the request lapsed: silence), answers nothing.
      given(...asked)
        .when(statement(30, buyer))
        .then([caseEv.statement({ hours: 30, by: 'buyer' })]);
      given(...asked)
        .when(statement(69, seller))
        .then([caseEv.statement({ hours: 69 })]);
    });

    it.each<[string, number, Actor, string]>([
      ['put to the other party', 30, buyer, INFO_ID],
      ['after its respondBy (the timeout wins)', 69, seller, INFO_ID],
      ['unknown', 30, seller, 'info-9'],
    ])('[decision] an answer to an information request %s: INVALID_STATE', (_, hours, actor, id) => {
      given(...OPEN, caseEv.infoRequested({ hours: 21 }))
        .when(statement(hours, actor, { informationRequestId: id }))
        .thenThrows('INVALID_STATE');
    });

    it('FORBIDDEN for support; CASE_NOT_OPEN once withdrawn', () => {
      given(...OPEN)
        .when(statement(21, support))
        .thenThrows('FORBIDDEN');
      given(...OPEN, caseEv.withdrawn(21))
        .when(statement(22))
        .thenThrows('CASE_NOT_OPEN');
    });
  });

  describe('WithdrawSupportCase', () => {
    it('the opener withdraws it', () => {
      given(...OPEN)
        .when(withdraw(21))
        .then([caseEv.withdrawn(21)]);
      expect(foldOrder([...OPEN, caseEv.withdrawn(21)]).supportCase).toMatchObject({
        status: 'withdrawn',
        closedAt: at(21).toISOString(),
      });
    });

    it('FORBIDDEN for the other party and for support; CASE_NOT_FOUND, CASE_NOT_OPEN', () => {
      given(...OPEN)
        .when(withdraw(21, seller))
        .thenThrows('FORBIDDEN');
      given(...OPEN)
        .when(withdraw(21, support, 'nope'))
        .thenThrows('FORBIDDEN');
      given(...OPEN)
        .when(withdraw(21, buyer, 'nope'))
        .thenThrows('CASE_NOT_FOUND');
      given(...OPEN, caseEv.withdrawn(21))
        .when(withdraw(22))
        .thenThrows('CASE_NOT_OPEN');
    });
  });

  describe('MarkSupportCaseOverdue (system)', () => {
    it('no claim or message 24 h after opening: marked overdue, once', () => {
      given(...OPEN)
        .when(markOverdue(44))
        .then([caseEv.overdue(44)]);
      given(...OPEN, caseEv.overdue(44))
        .when(markOverdue(45))
        .thenNothing();
    });

    it('a claim or message after the deadline does not undo it', () => {
      given(...OPEN, caseEv.claimed(45))
        .when(markOverdue(46))
        .then([caseEv.overdue(46)]);
    });

    it.each([
      ['before the deadline', OPEN, 43.9],
      ['claimed in time', [...OPEN, caseEv.claimed(30)], 44],
      ['a message in time', [...OPEN, caseEv.message(30)], 44],
      ['the case closed', [...OPEN, caseEv.withdrawn(30)], 44],
    ])('decides nothing %s', (_, history, hours) => {
      given(...history)
        .when(markOverdue(hours))
        .thenNothing();
    });

    it('is the system’s: FORBIDDEN for support', () => {
      given(...OPEN)
        .when(markOverdue(44, support))
        .thenThrows('FORBIDDEN');
    });
  });

  describe('LapseInformationRequest (system)', () => {
    const asked = [...OPEN, caseEv.infoRequested({ hours: 21 })];

    it('silence for 48 h is recorded; the case goes on', () => {
      given(...asked)
        .when(lapseInfo(69))
        .then([caseEv.infoLapsed(69)]);
      expect(foldOrder([...asked, caseEv.infoLapsed(69)]).supportCase).toMatchObject({
        status: 'open',
        informationRequest: null,
      });
    });

    it.each([
      ['before respondBy', asked, 68.9],
      ['once answered', [...asked, caseEv.statement({ hours: 30, answers: INFO_ID })], 69],
      ['once lapsed', [...asked, caseEv.infoLapsed(69)], 70],
    ])('decides nothing %s', (_, history, hours) => {
      given(...history)
        .when(lapseInfo(hours))
        .thenNothing();
    });
  });

  describe('allowedActions', () => {
    it('the opener, the other party and support each see their own buttons', () => {
      const state = foldOrder([...OPEN, caseEv.infoRequested({ hours: 21 })]);
      expect(allowedActions(state, buyer, at(22))).toEqual([
        'open_cancellation_request',
        'open_order_update_request',
        'add_statement',
        'withdraw_support_case',
      ]);
      expect(allowedActions(state, seller, at(22))).toEqual(expect.arrayContaining(['add_statement']));
      expect(allowedActions(state, seller, at(22))).not.toContain('withdraw_support_case');
      expect(allowedActions(state, support, at(22))).toEqual([
        'cancel_without_consent',
        'claim_support_case',
        'post_support_message',
        'resolve_support_case',
      ]);
    });
  });
});
