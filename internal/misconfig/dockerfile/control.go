package dockerfile

// Profile names the Dockerfile checks among Rampart's own in control results:
// misconfig.Controls(Profile, Checks(), findings, reason).
const Profile = "dockerfile"
