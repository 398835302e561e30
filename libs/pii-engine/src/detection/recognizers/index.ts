import type { BuiltinType, Recognizer } from '../finding.js';
import { apiKeyRecognizer } from './api-key.js';
import { creditCardRecognizer } from './credit-card.js';
import { dateOfBirthRecognizer } from './date-of-birth.js';
import { emailRecognizer } from './email.js';
import { ibanRecognizer } from './iban.js';
import { ipAddressRecognizer } from './ip-address.js';
import { personRecognizer } from './person.js';
import { phoneRecognizer } from './phone.js';
import { ssnRecognizer } from './ssn.js';
import { urlWithCredentialsRecognizer } from './url-with-credentials.js';

export const RECOGNIZERS: ReadonlyMap<BuiltinType, Recognizer> = new Map([
  emailRecognizer, phoneRecognizer, ssnRecognizer, creditCardRecognizer, ipAddressRecognizer,
  apiKeyRecognizer, ibanRecognizer, urlWithCredentialsRecognizer, dateOfBirthRecognizer, personRecognizer,
].map((r) => [r.type, r]));
