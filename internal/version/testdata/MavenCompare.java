// Reads "a<TAB>b" lines and prints the sign of Maven's ComparableVersion comparison, for
// TestTruth/maven. Run with maven-artifact on the class path.
import java.io.BufferedReader;
import java.io.InputStreamReader;
import org.apache.maven.artifact.versioning.ComparableVersion;

public class MavenCompare {
    public static void main(String[] args) throws Exception {
        BufferedReader in = new BufferedReader(new InputStreamReader(System.in));
        for (String line; (line = in.readLine()) != null; ) {
            String[] p = line.split("\t", 2);
            System.out.println(Integer.signum(new ComparableVersion(p[0]).compareTo(new ComparableVersion(p[1]))));
        }
    }
}
