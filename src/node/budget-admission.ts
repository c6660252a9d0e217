/** A start's admission made of its parts: the budgets' check, and the rate limits' turn. */
import type { Admission } from './admission.js';

export function composeAdmission(
  budgets: Pick<Admission, 'check'>,
  rates: Pick<Admission, 'turn' | 'cancel'>,
): Admission {
  return {
    check: (req) => budgets.check(req),
    turn: (req) => rates.turn(req),
    cancel: (session) => rates.cancel(session),
  };
}
