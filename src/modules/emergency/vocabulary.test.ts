/**
 * Lay vocabulary of the concept layer (kb/evidence*.json), family by family, in wordings written for
 * these tests from the NHS "call 999 / go to A&E" pages and condition pages (anaphylaxis, food
 * allergy, burns and scalds, heavy bleeding, unconsciousness, low blood sugar, carbon monoxide,
 * suicide) — not from any evaluation set. Each family is checked on the knowledge-base concepts
 * alone (screenText) so the phrase lexicon cannot hide a gap.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { screenText } from '../symptom-checker/index.js';
import { detectEmergency } from './index.js';

const urgent = (t: string) => screenText(t).flags.some((f) => f.level === 'emergency' || f.level === 'emergency_ambulance');
const conceptYes = (t: string) => assert.ok(urgent(t), `concepts should fire: ${t} → ${JSON.stringify(screenText(t).concepts)}`);
const conceptNo = (t: string) => assert.ok(!urgent(t), `concepts should not fire: ${t} → ${JSON.stringify(screenText(t).flags.map((f) => f.id))}`);

test('unconsciousness in lay words: not answering, not awake, out cold where found', () => {
  conceptYes('nan is on the kitchen floor and not answering when I shout her name');
  conceptYes('he fainted ten minutes ago and still isnt awake');
  conceptYes('found my brother out cold on the bathroom floor');
  conceptNo("He's not unconscious, he's awake and chatting");
});

test('struggling to breathe: breathless or wheezy and unable to talk', () => {
  conceptYes('wheezing so much she can hardly speak');
  conceptYes('out of breath, only one word at a time');
  conceptYes('i can hardly breathe');
});

test('airway swelling after an allergen: foods of the 14 allergens, medicines, stings', () => {
  conceptYes('had a prawn curry and now my mouth is swelling and I feel wheezy');
  conceptYes('my tongue feels thick after the walnut cake and my throat is tight');
  conceptYes('lips puffing up after the new amoxicillin and I am breathless');
  conceptYes('got stung in the garden, lips swelling up and voice sounds funny');
});

test('heavy bleeding and blood in vomit, in everyday words', () => {
  conceptYes('sliced my leg on a broken bottle, there is a pool of blood on the floor');
  conceptYes('my friend has been stabbed and is bleeding');
  conceptYes('his sick looks like coffee grounds');
  conceptYes('there is blood in my sick');
  conceptNo('feel a bit faint when I give blood');
  conceptNo('I forgot my blood pressure tablets this morning');
});

test('burns the NHS sends to A&E: bigger than a hand, palm, face, genitals', () => {
  conceptYes('scalded by the kettle, the blister is bigger than my hand');
  conceptYes('grabbed the hot pan and burnt the whole palm of my hand');
  conceptNo('tiny burn on my fingertip from the toaster');
});

test('hypo that will not come up, overdose by medicine name, gas, intent with means', () => {
  conceptYes('diabetic, had two lots of jelly babies but I cannot get my sugar levels up and I feel faint');
  conceptYes('my mum swallowed way too many of her tramadol');
  conceptYes('I have the tablets lined up in front of me');
  conceptYes('my son says he is going to kill himself');
  assert.equal(detectEmergency('there is a strong gas smell in the flat and my head is pounding').level !== 'none', true);
});

test('stroke in lay words: drooling on one side, speech lost suddenly', () => {
  conceptYes('grandma is dribbling from one side of her mouth and her arm is weak');
  conceptYes('my husband suddenly cant talk, the words just will not come');
});

test('severe asthma: reliever every few minutes, sucking in at the neck', () => {
  conceptYes('my boy is wheezy and needs his blue pump every 10 minutes, it makes no difference');
  conceptYes('toddler wheezy and the skin at the base of her neck is pulling in');
});

test('trauma, poisoning and seizure families', () => {
  conceptYes('motorbike accident on the main road, rider trapped under the van');
  conceptYes('my son picked berries in the woods and ate them, now drowsy');
  conceptYes('a woman in the shop is on the floor jerking and frothing at the mouth');
  conceptYes('my friend is on the balcony saying she is going to jump');
  conceptNo('ate mushrooms on toast for breakfast');
});

test('"hay fever", "cabin fever" are not a temperature', () => {
  conceptNo('hay fever is terrible this year, eyes swollen and itchy');
  conceptNo('stuck indoors with cabin fever and a headache');
  conceptYes('my 5 week old has a fever');
});

test('function words that are a whole alternative match ("very | really + confused", "had | from + peanuts")', () => {
  conceptYes('my grandad is really confused this evening');
  conceptYes('my 6 week old is really sleepy, hard to rouse');
  conceptYes('had some cashews and now my lips are swelling');
  // …and are invisible to phrases and to the word window.
  conceptYes("I can't really breathe at all");
  conceptYes('a bad burn on my arm from the hot oil pan, the skin is white');
});

test('the time words that date a finding can belong to another reading of it', () => {
  conceptYes('I had chemo last week and now I have a temperature of 38.4');
});

test('more lay families: heart hurting with being sick, a grey colour, cannot get air in, no wee all day, chewed dishwasher tabs', () => {
  conceptYes('my dad says his heart hurts and he keeps being sick');
  conceptYes('chest pain and he has gone a grey colour');
  conceptYes("I can't get air in");
  conceptYes('my toddler chewed a dishwasher tab');
  conceptYes('suddenly she cannot understand what we say and her hand is clumsy');
});

test("poisons and medicines by name, packs of tablets, children and other people's tablets", () => {
  conceptYes('my little girl drank some paraffin from the heater');
  conceptYes('he swallowed three packs of paracetamol');
  conceptYes("my toddler got into granny's handbag and swallowed her heart tablets");
  conceptNo('I swallowed my tablets this morning as usual');
});

test('bleeding in pregnancy stated with the weeks only, heavy rectal bleeding, intent with a blade', () => {
  conceptYes("I'm 29 weeks and bleeding quite a lot");
  conceptYes('bleeding from his back passage a lot and he looks grey');
  conceptYes('I have razor blades ready to use on myself');
});

test('round 6 families: hand on the chest, asthma too bad to talk, a finger cut off, something in the eye', () => {
  conceptYes('grandad keeps clutching at his chest and feels sick');
  conceptYes('asthma so bad I can only say a few words');
  conceptYes('chopped the tip of my thumb off with the mandoline');
  conceptYes('my son got a fish hook in his eye');
});

test('"and it\'s …" / "and there\'s …" continue the finding they refer back to', () => {
  conceptYes("I've thrown up and it's bright red blood");
  conceptYes("cut my leg on the fence and there's blood everywhere");
  // Scoping keeps the boundary: a denial before "and it's" does not reach past it.
  assert.equal(detectEmergency("no chest pain and it's not hard to breathe, just a cough").is_emergency, false);
});

test('round 7 families: a nosebleed that goes on, a broken limb that is bent, vape liquid', () => {
  conceptYes("her nose has been bleeding for half an hour and it won't stop");
  conceptYes('I think he has broken his arm, it is bent');
  conceptYes('my toddler sucked on a bottle of vape juice');
  assert.equal(detectEmergency('the first aid course covered choking and severe bleeding').is_emergency, false);
});

test('round 8 families: a reliever that is not making it better, tablets taken to die', () => {
  conceptYes('she is wheezing and her inhaler is not improving things');
  conceptYes('my dad says he took tablets to end his life');
});

test('round 9 families and precision: sudden nonsense speech, arm cannot be raised, blood cancers, tight chest too tight to talk', () => {
  conceptYes('my uncle is suddenly talking nonsense and his face droops');
  conceptYes('wheezy, chest so tight I cant talk');
  conceptYes('I have lymphoma and my temperature is 38.3');
  conceptNo('no rash, no breathing problems, just a sore throat');
  conceptNo('my toes are a bit numb from the cold walk home');
  conceptYes('stopped breathing and turned blue');
});

// Round 10 (2026-12-07, second pass): classes found by own probes written from NHS pages; wordings
// here are new.
test('heartburn is heartburn: with sweating in an adult of unknown age it is a possible heart attack', () => {
  conceptYes('he says it is only heartburn but he is pouring with sweat');
  conceptNo('heartburn after a spicy dinner, no other symptoms');
});

test('a stated heart rate of 150 or more is a racing heart, from age 12', () => {
  assert.equal(detectEmergency('pulse is 170 and i think i might pass out').is_emergency, true);
  assert.equal(detectEmergency('pulse 95 after my run, feel fine').is_emergency, false);
  // A baby's normal rate is higher (NICE NG143).
  assert.equal(detectEmergency('my newborn has a heart rate of 150 while feeding').is_emergency, false);
});

test('a rash that "does not go" under a pressed glass is non-blanching', () => {
  conceptYes('the spots on his legs stay when I press a glass against them');
  conceptYes("there's a rash that won't go when you press the tumbler on it");
});

test('late period with shoulder-tip pain or feeling faint is a possible ectopic pregnancy', () => {
  conceptYes('my period is a week late and there is a weird ache at the tip of my shoulder');
  conceptYes('period overdue and I nearly fainted in the shower');
});

test('the baby gone quiet, said with the weeks of a pregnancy, is reduced fetal movements', () => {
  conceptYes('31 weeks and the baby has gone really quiet since yesterday');
  conceptNo('my newborn has gone quiet and is finally asleep');
});

test('a birth about to happen outside a maternity unit (crowning, the head showing) is an ambulance emergency', () => {
  conceptYes('in the car park and I can see the head, she is crowning');
  conceptYes('contractions every minute and the baby is coming now, we are still at home');
  conceptNo('the baby is coming out of the neonatal unit on friday');
  conceptNo('the crowning moment of my career');
});

test('food stuck with no sound or going blue is choking', () => {
  conceptYes('a piece of sausage is stuck, she cannot make a sound');
  conceptNo('bit of food stuck in my teeth after lunch');
});

// Issue 10, third pass: classes the detector missed (wordings written for these tests from the NHS
// "coughing up blood", "febrile seizures", "choking", poisoning and "postpartum psychosis" pages).

test('coughing up more than streaks of blood, or blood with breathlessness or a racing heart, is an emergency', () => {
  conceptYes('spat out a glass of blood after a coughing fit');
  conceptYes('every time I cough the blood keeps coming');
  conceptYes('coughing up blood and my heart is pounding really fast');
  // "in the past hour" is now, not history.
  conceptYes('over a mouthful of blood coughed up in the past hour');
  conceptNo('a few streaks of blood in my phlegm from the chest infection');
  conceptNo('coughed up blood for a while in 2019, fully investigated');
});

test('a child who swallowed adult medicines, or an unknown number of tablets, is a poisoning', () => {
  conceptYes('our 4 year old has eaten some of her grandmas heart pills');
  conceptYes('my twins got into the cupboard and took iron tablets');
  conceptYes('she has swallowed a lot of her sertraline, no idea how many');
  conceptYes('not sure how many of my co-codamol he has taken');
  conceptNo('I take one iron tablet a day and it upsets my stomach');
  conceptNo('my son takes his tablets for ADHD every morning');
});

test('a fit described without the word: eyes gone up, stiff then jerking, a small child shaking all over', () => {
  conceptYes('he went floppy and his eyes went right up, we cannot wake him properly');
  conceptYes('her arms went stiff and then started jerking');
  conceptYes('my daughter 2 years is trembling all over her whole body with a fever');
  conceptNo('I am shaking all over after that scary film');
  conceptNo('my toddler is shaking the box of lego all over the place');
});

test('choking in silence: no sound, clutching the throat, going purple', () => {
  conceptYes('a chunk of apple is lodged, she is not making any sound');
  conceptYes('he is holding his throat and cannot speak');
  conceptYes('the baby is gagging on a sweet and going purple');
  conceptNo('choking on all the paperwork at work this week');
  conceptNo('lips gone purple from the blackberry ice lolly');
});

test('postpartum psychosis: strange beliefs, mania or thoughts of harming the baby after a birth', () => {
  conceptYes('I had the baby last week and my husband says I keep insisting the baby has been swapped');
  conceptYes('since the birth my partner is talking really fast all night and believes she is the chosen one');
  conceptYes('my wife gave birth on friday and keeps saying she is going to harm the baby');
  conceptNo('new mum, tired and tearful, the health visitor says it is the baby blues');
  conceptNo('she had our baby a week ago and she is sleeping well');
});

test('a question about the difference between terms, or calling one number or another, is not a report', () => {
  assert.equal(detectEmergency('difference between a seizure and a faint? for a first aid quiz').is_emergency, false);
  assert.equal(detectEmergency('fever and a rash that fades, do I call 111 or 999').is_emergency, false);
});

test('command hallucinations to harm others, and an asthma attack still bad after the reliever', () => {
  conceptYes('my son says the voices are telling him to stab someone');
  conceptYes('asthma attack, used the blue inhaler ten times and still struggling');
  conceptNo('my son hears voices sometimes and his care team know, he is settled today');
});

test('fourth pass: a face pulled to one side, speech not right, a child drinking a cleaning product, a stated intent to hurt others', () => {
  conceptYes('his mouth has gone to one side and he is dribbling');
  conceptYes('grandma cannot talk properly all of a sudden and her smile is crooked');
  conceptYes('my 2 year old drank some toilet cleaner from under the sink');
  conceptYes('my husband is not sleeping and says he has to kill the family tonight');
  conceptNo('aching on one side of my face when I bend forward, blocked nose');
  conceptNo('she can speak properly again now after the dentist numbing wore off');
});

test('fourth pass: a telegraphic stabbing is reported now; a stabbing pain, a skin spot, a worry about catching something later are not', () => {
  assert.equal(detectEmergency('knifed. losing blood fast').is_emergency, true);
  // "Stabbing pain" is a kind of pain, not a stabbing: with blood in the urine it is not a haemorrhage.
  assert.equal(detectEmergency('stabbing pains low in my back when I wee and a bit of blood in it').is_emergency, false);
  assert.equal(detectEmergency('a small spot on my chin keeps bleeding a little when I shave').is_emergency, false);
  assert.equal(detectEmergency('scared my son might get meningitis at uni, what are the signs').is_emergency, false);
  assert.equal(detectEmergency('I think I might be having a heart attack, crushing chest pain').is_emergency, true);
});

test('fourth pass (fresh3 dev classes): numbers that are findings — a baby below 36 °C; an adult at 35.9 alone is not an alarm', () => {
  conceptYes('my 3 week old is only 35.6 and feels cold to me');
  conceptNo('I was 35.9 this morning, feel completely fine');
});

test('fourth pass (fresh3 dev classes): vision gone in one eye, disorientation, repeated vomiting, a tight cast, a chemical on the skin, a deep gushing cut, a birth under way', () => {
  conceptYes('everything went black in my right eye a few minutes ago');
  conceptYes('dad does not know where he is since lunchtime');
  conceptYes("my daughter's arm is in a cast and her fingers have gone blue and numb");
  conceptNo('my cast came off last month and my wrist is still a bit stiff');
  conceptYes('splashed oven cleaner on my hand and the skin is blistering');
  conceptYes('gashed my leg really deep and it is gushing');
  conceptYes("I can feel the baby's head coming out");
  assert.ok(
    screenText('been sick again and again since breakfast')
      .concepts.filter((c) => c.status === 'affirmed')
      .some((c) => c.id === 'vomiting'),
  );
});

test('fourth pass (fresh3 dev classes): a question about what would follow, a past told from now, a topic then a question, television', () => {
  assert.equal(detectEmergency('if my dad skips his tablets, would he get a stroke?').is_emergency, false);
  assert.equal(detectEmergency("my sister overdosed aged 15, she's doing really well now").is_emergency, false);
  assert.equal(detectEmergency('anaphylaxis in children - how common is it').is_emergency, false);
  assert.equal(detectEmergency('binge-watching House where the patient has a seizure every episode').is_emergency, false);
  assert.equal(detectEmergency('my brother is having a seizure right now and it will not stop').is_emergency, true);
});

test('fourth pass (fresh3 dev classes): the left arm alone is not chest pain; with the chest, or losing power, it is an emergency', () => {
  conceptNo('I cut my left arm on a bramble, tiny scratch');
  conceptNo('left arm aching after painting the ceiling all day, no chest pain');
  conceptYes('pressure in my chest and my left arm feels heavy');
  conceptYes('her right arm and leg suddenly lost power');
});

test('fourth pass (fresh3 dev classes): a high place with a farewell, heat collapse with hot skin, new ketoacidosis without known diabetes', () => {
  conceptYes("I'm up on the roof of the car park and I won't be coming home");
  conceptNo('stood on the bridge taking photos of the sunset, lovely evening');
  conceptYes('she fainted at the festival in the heat and now she is boiling hot to touch');
  conceptYes('my 12 year old keeps vomiting, is drinking loads and breathing deep and fast');
  conceptNo('tummy bug, vomiting since last night and thirsty');
});
