/** The console's words in English and French (added to the host's catalogues at import). */
import { addMessages } from '../../kit/i18n.js';

addMessages('en', {
  'admin.title': 'Admin console',
  'admin.signedInAs': 'Signed in as {name} ({role}).',
  'admin.role.helpdesk': 'help desk',
  'admin.role.admin': 'administrator',
  'admin.nav.home': 'Console',
  'admin.signOut': 'Sign out of the console',
  'admin.signedOut': 'You are signed out of the admin console.',
  'admin.signInAgain': 'Sign in to the console',
  'admin.notAdmin': 'This account may not use the admin console.',
  'admin.needsFactor': 'The admin console needs a verified second factor; this sign-in did not use one.',
  'admin.home.intro': 'Find a user to see their methods, lock and recent sign-ins, or choose a page above.',
});
addMessages('fr', {
  'admin.title': 'Console d’administration',
  'admin.signedInAs': 'Connecté en tant que {name} ({role}).',
  'admin.role.helpdesk': 'support',
  'admin.role.admin': 'administrateur',
  'admin.nav.home': 'Console',
  'admin.signOut': 'Se déconnecter de la console',
  'admin.signedOut': 'Vous êtes déconnecté de la console d’administration.',
  'admin.signInAgain': 'Se connecter à la console',
  'admin.notAdmin': 'Ce compte ne peut pas utiliser la console d’administration.',
  'admin.needsFactor': 'La console d’administration exige une seconde étape vérifiée ; cette connexion n’en a pas utilisé.',
  'admin.home.intro': 'Recherchez un utilisateur pour voir ses méthodes, son verrouillage et ses connexions récentes, ou choisissez une page ci-dessus.',
});
