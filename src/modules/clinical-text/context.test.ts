/**
 * Scope rules of the shared text layer (context.ts), tested through the emergency detector and
 * `understand`, in wordings written for these tests (not taken from any evaluation set). Each block
 * is one class of failure: the mention is real words, the person is not describing it now.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { detectEmergency } from '../emergency/index.js';
import { getModel } from '../symptom-checker/inference.js';
import { getKnowledgeBase } from '../symptom-checker/kb/loader.js';
import { understand } from './index.js';

const yes = (t: string) => assert.equal(detectEmergency(t).is_emergency, true, `expected an emergency: ${t}`);
const no = (t: string) => assert.equal(detectEmergency(t).is_emergency, false, `expected no emergency: ${t} → ${JSON.stringify(detectEmergency(t).matched)}`);

test('a conditional that opens a sentence covers its whole clause, also after "and my …"', () => {
  no('what if he gets stung and his tongue swells up, which antihistamine is best');
  no('if ever my son stops breathing and turns blue what do i do first');
  no('suppose she has a fit and starts turning blue, do I roll her on her side');
  // A comma, "but" or a full stop ends the conditional: what follows is a report.
  yes('what if it is nothing, but my lips and tongue are swelling up after the prawns');
  yes('If this is silly sorry. My dad has collapsed and is not breathing');
  // "if" in the middle of a sentence keeps its ordinary, short scope.
  yes("I don't know if this is serious and my throat is closing up after a bee sting");
});

test('an emergency number as one option of a question is not a request for an ambulance', () => {
  no('if the bee sting swells a lot do i take an antihistamine or call 999');
  no('when to call 911 for a toddler with a cough');
  yes('please call an ambulance my wife collapsed');
});

test('past episodes of care: admitted or treated for an illness, a month right after it, recovered', () => {
  no('I was hospitalised with sepsis and I now need a fit note for work');
  no('my son was treated for meningitis in June and is doing well');
  no('had sepsis in October, have fully recovered, booking a follow-up');
  // "due in March" dates a pregnancy, a comma keeps a later date away from the symptom.
  yes('31 weeks pregnant, due in March, bleeding heavily and lots of pain');
  yes('crushing chest pain going down my arm, flying to spain in may');
});

test('songs, rhymes and quotations are not reports', () => {
  no('there is a song on my playlist that goes I cannot breathe without you');
  no('the chorus is all about a heart attack, great tune');
  no('signs of a heart attack include chest pain and sweating');
  no('symptoms of sepsis can include fever and fast breathing');
});

test('reaction idioms after a named catastrophe are figures of speech; real symptoms are not', () => {
  no('my mum will have a stroke when she sees my tattoo');
  no('my heart stopped when i opened the gas bill');
  yes('my husband collapsed when he saw the blood and he is not breathing');
});

test('a blocked nose is not a breathing emergency; breathlessness with it still is', () => {
  no("full of cold, can't breathe through my nose at night");
  no("stuffy nose and I can't breathe, need a decongestant");
  yes("I can't breathe and my lips are going blue");
});

test('a temperature in a question or conditional is not a measurement', () => {
  const lex = getModel(getKnowledgeBase()).lexicon;
  assert.equal(understand(lex, 'what if my 6 week old baby gets a temperature of 38.2 after the jabs').quantities.temperature_c, undefined);
  assert.equal(understand(lex, 'my 6 week old baby has a temperature of 38.2').quantities.temperature_c, 38.2);
  no('what if my 6 week old gets a temperature of 38.2 after her jabs');
  yes('my 6 week old has a temperature of 38.2');
});

test('"fit" as the UK fit note or fitness is not a seizure', () => {
  no('can I have a fit note for another two weeks please');
  no('GP says he is fit to work from monday');
  yes('my son is having a fit and his lips are blue');
});

test('a simile describing a symptom is not a figure of speech', () => {
  yes("it feels like a heavy weight pressing on my chest, I'm breathless and sweaty");
  yes("it's like a brick on my chest and I'm drenched in sweat and short of breath");
  // "like a" in a comparison still reads as figurative.
  no('that burger is like a heart attack on a plate');
});

test('documented idioms: choke (fail / be moved), "X is suffocating me", "dying to / of boredom", things personified', () => {
  no('our striker choked on the penalty again');
  no('I always choke in exams');
  no("got all choked up at my sister's wedding speech");
  no('honestly this job is suffocating me');
  no("I'm dying of boredom in this waiting room");
  no('my bank account had a heart attack after christmas');
  yes('my daughter is choking on a grape and cannot cough');
  yes("the smoke is so thick I'm suffocating and can't breathe");
});

test('past and teaching: a season after the illness, "she is well now", a teacher explaining', () => {
  no('dad had a mini stroke in the summer, he is fine now, can he fly?');
  no('our first aid trainer explained how a cardiac arrest happens');
  no('revising for my nursing exam: anaphylaxis and sepsis');
  yes('my teacher just collapsed in class and is not breathing');
});

test('a finding written as a Title in an ordinary sentence is a song, film or book', () => {
  no('my daughter plays Heart Attack by Demi Lovato all day');
  no('we watched Breathing Difficulties, the new documentary series, last night');
  // Capitals everywhere, or at the start of a sentence, say nothing.
  yes('My Dad Is Having A Heart Attack Please Help');
  yes('Heart attack, I think. My husband is grey and clutching his chest');
});

test('times to come, an earlier pregnancy, last term, and talks about a topic are not reports', () => {
  no("I'm scared I could have a stroke one day like my dad");
  no('she had pre-eclampsia with our first baby, now 20 weeks and well');
  no('a girl in my class had a seizure last term');
  no('the session at work was all about choking and CPR');
});

test('indirect questions are questions', () => {
  no('my dad would like to know what the symptoms of sepsis are');
  no('my son asked me what happens in a seizure');
  yes('my son asked me to call you, his lips are blue and he is gasping');
});

test('a single function word binds only to a near partner, so it cannot swallow the date of a past event', () => {
  no('I had a stroke in 2018, on clopidogrel since');
  no('had a mini stroke in 2020 and been on statins ever since');
  // Near partners still match ("had some peanuts").
  yes('had some peanuts and now my throat is closing');
});

test('oppressive heat or air is not suffocation', () => {
  no('the humidity is suffocating today');
  no('suffocating heat on the train this morning');
  yes('I am suffocating, I cannot get any air in');
});

test('a list item that opens with a denial is its own clause: ", no swelling or redness" does not pair with words before it', () => {
  const model = getModel(getKnowledgeBase());
  const concepts = (t: string) =>
    understand(model.lexicon, t)
      .mentions.filter((m) => m.status === 'affirmed')
      .map((m) => m.concept);
  const found = concepts('cramp in both calves at night, eases when i stretch, no swelling or redness');
  assert.ok(!found.includes('leg_swelling') && !found.includes('skin_red_warm'), found.join(','));
  // Without the denial the clause still runs over commas ("pain in my chest, into my arm").
  assert.ok(concepts('pain in the centre of my chest, going into my left arm').includes('chest_pain_radiating'));
  // A colour alone is not jaundice; "keeping fluids down" is the opposite of not keeping them down.
  assert.ok(!concepts('flaky yellow patches on the scalp of my 2 month old').includes('jaundice'));
  assert.ok(concepts('his eyes are yellowing').includes('jaundice'));
  assert.ok(!concepts('was sick this morning but keeping fluids down fine').includes('vomit_cant_keep_fluids'));
});

test('a recent period ("in the past hour", "in the last week") is now, not history', () => {
  yes('coughed up a cup of blood in the past hour');
  yes('my lips have gone blue in the past few minutes');
  // A period that is plainly over still dates the finding.
  no('I had a seizure in the past, years ago, none since');
  no('had sepsis last week and was discharged, booking a follow-up');
});

test('a number right after a person noun is their age, not how long it has lasted', () => {
  const lex = getModel(getKnowledgeBase()).lexicon;
  assert.equal(understand(lex, 'my baby 1 year is very hot').quantities.age_years, 1);
  assert.equal(understand(lex, 'son 4 years, rash since 2 days').quantities.age_years, 4);
  assert.equal(understand(lex, 'son 4 years, rash since 2 days').quantities.duration_days, 2);
  assert.equal(understand(lex, 'my son is 3 days into a cold').quantities.age_years, undefined);
});

test('idioms of being overwhelmed, movement and colour that are not the body', () => {
  no("I'm choking on all the emails this week");
  no('he is shaking the maracas all over the place');
  no('tongue is blue from the slushie');
  yes('she is choking on a sweet and cannot breathe');
});

test('a quotation that is a title or a lyric is not a report; quoted speech of someone present is', () => {
  no("the chorus of 'Can't Breathe' is stuck in my head all day");
  no('we are rehearsing "Heart Attack" by Demi Lovato for the school show');
  no('dancing to Overdose by Little Mix');
  no('recording a podcast about stroke recovery');
  yes("my husband keeps gasping 'I can't breathe' and his lips are blue");
  yes('she said "my chest is crushing" and collapsed');
});
